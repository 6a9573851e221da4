// A pool's level as the controller keeps it, in an annotation on the
// CpuidPool (`cpuidfleet.io/level`): the full level policy in Xen's
// serialised form (so a domain policy can be built from it and hosts audited
// against it), its hash, the hosts it was computed from and what each removed.
// Pinned pools: written once when the pool is first levelled and replaced
// only by a confirmed relevel (`cpuidfleet.io/relevel-confirm: <hash>`).
// Automatic pools: rewritten whenever membership changes the level. Either
// way it is what `baseline: pool` domain policies are built from. Pure.

import { z } from "zod";
import { featureNames, formatFeatureset } from "../featureset/featureset.ts";
import { policyHash } from "../policy/canonical.ts";
import type { CpuPolicy } from "../policy/cpu-policy.ts";
import { policyFeatureset } from "../policy/featureset-io.ts";
import { deserialisePolicy, serialisePolicy } from "../policy/serialise.ts";
import { GuestType } from "../schemas/guest.ts";
import { SerialisedPolicyJson } from "../schemas/policy.ts";
import { policyFromJson, policyToJson } from "../policy/policy-json.ts";
import type { PoolLevel } from "../api/v1alpha1/cpuid-pool.ts";

export const LEVEL_ANNOTATION = "cpuidfleet.io/level";
export const RELEVEL_CONFIRM_ANNOTATION = "cpuidfleet.io/relevel-confirm";

export const StoredLevel = z.object({
  guestType: GuestType,
  hash: z.string(),
  hosts: z.array(z.string()),
  /** hosts that remove the same features share one entry: a fleet has few kinds of host, and annotations are limited to 256 KiB */
  removed: z.array(z.object({ hosts: z.array(z.string()), features: z.array(z.string()) })),
  /** the TSC frequencies (kHz) of those hosts that reported one: where a guest promised invariant TSC may have started */
  tscKhz: z.array(z.number().int().positive()).default([]),
  policy: SerialisedPolicyJson,
});
export type StoredLevel = z.infer<typeof StoredLevel>;

export interface Level {
  policy: CpuPolicy;
  hash: string;
  hosts: string[];
  removed: { host: string; features: string[] }[];
  /** distinct, sorted */
  tscKhz: number[];
}

export function toStoredLevel(level: Level, guestType: GuestType): StoredLevel {
  const groups = new Map<string, { hosts: string[]; features: string[] }>();
  for (const r of level.removed) {
    const key = r.features.join(" ");
    const group = groups.get(key);
    if (group) group.hosts.push(r.host);
    else groups.set(key, { hosts: [r.host], features: r.features });
  }
  return { guestType, hash: level.hash, hosts: level.hosts, removed: [...groups.values()], tscKhz: level.tscKhz, policy: policyToJson(serialisePolicy(level.policy)) };
}

/** Back to one entry per host, in host order. */
function ungroup(removed: StoredLevel["removed"]): Level["removed"] {
  return removed.flatMap((g) => g.hosts.map((host) => ({ host, features: g.features }))).sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
}

/** The pinned level in the annotation, or an error naming what is wrong with it. */
export function readStoredLevel(annotations: Readonly<Record<string, string>> | undefined): { level?: Level; guestType?: GuestType; error?: string } {
  const text = annotations?.[LEVEL_ANNOTATION];
  if (text === undefined) return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { error: `annotation ${LEVEL_ANNOTATION} is not JSON: ${(err as Error).message}` };
  }
  const parsed = StoredLevel.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { error: `annotation ${LEVEL_ANNOTATION}: ${issue.path.join(".") || "(root)"}: ${issue.message}` };
  }
  const policy = deserialisePolicy(policyFromJson(parsed.data.policy));
  const hash = policyHash(policy);
  if (hash !== parsed.data.hash) return { error: `annotation ${LEVEL_ANNOTATION}: its policy hashes to ${hash}, not the recorded ${parsed.data.hash}` };
  return { level: { policy, hash, hosts: parsed.data.hosts, removed: ungroup(parsed.data.removed), tscKhz: parsed.data.tscKhz }, guestType: parsed.data.guestType };
}

/** The status form of a level. */
export function levelStatus(level: Level): PoolLevel {
  const fs = policyFeatureset(level.policy);
  return { featureset: formatFeatureset(fs), features: featureNames(fs), hash: level.hash, hosts: level.hosts };
}
