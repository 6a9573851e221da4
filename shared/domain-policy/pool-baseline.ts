// What a `baseline: pool` DomainCpuidPolicy builds from: the level its
// CpuidPool stores (shared/pool/level-annotation.ts) and the members the
// pool's status lists, or why there is none yet. Read from the pool object
// alone, so the controller and `cpuidctl migrate check` agree, and a policy
// built from it is the same on every member. Pure.

import type { CpuidPoolObject } from "../api/v1alpha1/cpuid-pool.ts";
import type { CpuPolicy } from "../policy/cpu-policy.ts";
import { readStoredLevel } from "../pool/level-annotation.ts";
import type { GuestType } from "../schemas/guest.ts";

export type PoolBaseline =
  | { kind: "level"; pool: string; guestType: GuestType; level: CpuPolicy; hash: string; members: readonly string[] }
  | { kind: "unavailable"; pool: string; reason: PoolUnavailableReason; message: string };

export type PoolUnavailableReason = "PoolNotFound" | "PoolNotReady" | "PoolGuestTypeMismatch";

export function poolBaseline(name: string, pool: CpuidPoolObject | undefined): PoolBaseline {
  const unavailable = (reason: PoolUnavailableReason, message: string): PoolBaseline => ({ kind: "unavailable", pool: name, reason, message });
  if (!pool) return unavailable("PoolNotFound", `CpuidPool ${name} does not exist`);
  const stored = readStoredLevel(pool.metadata.annotations);
  if (stored.error) return unavailable("PoolNotReady", `CpuidPool ${name} has no usable level: ${stored.error}`);
  if (!stored.level || !stored.guestType) return unavailable("PoolNotReady", `CpuidPool ${name} has no level yet (it has no members, or the controller has not levelled it)`);
  if (stored.guestType !== pool.spec.guestType) {
    return unavailable("PoolNotReady", `CpuidPool ${name}'s level is for ${stored.guestType} guests but its spec.guestType is ${pool.spec.guestType}: it waits for a relevel`);
  }
  return { kind: "level", pool: name, guestType: stored.guestType, level: stored.level.policy, hash: stored.level.hash, members: pool.status?.members ?? [] };
}
