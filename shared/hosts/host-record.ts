// A host's published policies, decoded once when they arrive (by the
// controller, and by `cpuidctl audit` for its dry run). The record keeps only
// what they use: the host's facts with a summary of each policy (for
// the HostCpuidPolicy mirror) and the four guest policies audits run against.
// Identical guest policies — a fleet of one CPU model — are held once, keyed by
// a content hash the controller computes itself, never by the hash a host
// claims, so no host can substitute a policy for another's.

import type { z } from "zod";
import { policyHash } from "../policy/canonical.ts";
import type { CpuPolicy } from "../policy/cpu-policy.ts";
import { deserialisePolicy } from "../policy/serialise.ts";
import type { GuestPolicies } from "../request/build-request.ts";
import type { GuestType } from "../schemas/guest.ts";
import type { PolicySummary } from "../api/v1alpha1/host-cpuid-policy.ts";
import type { HostPolicies } from "../schemas/host-policies.ts";
import { PolicyNames, type PolicyName, type PolicyView } from "../schemas/policy.ts";
import { policyFromJson } from "../policy/policy-json.ts";

export type HostFacts = Omit<HostPolicies, "policies"> & { summaries: Record<PolicyName, z.infer<typeof PolicySummary>> };

type GuestPolicyName = keyof GuestPolicies;

export interface HostRecord {
  hostId: string;
  published: HostFacts;
  guest: GuestPolicies;
  /** content hashes computed here, of the guest policies above */
  guestHashes: Record<GuestPolicyName, string>;
}

/** Shares one CpuPolicy object per distinct content; entries go when no host uses them. */
class PolicyInterner {
  readonly #byHash = new Map<string, WeakRef<CpuPolicy>>();
  readonly #forget = new FinalizationRegistry<string>((hash) => {
    if (!this.#byHash.get(hash)?.deref()) this.#byHash.delete(hash);
  });

  intern(view: PolicyView): { policy: CpuPolicy; hash: string } {
    const decoded = deserialisePolicy(policyFromJson(view));
    const hash = policyHash(decoded);
    const existing = this.#byHash.get(hash)?.deref();
    if (existing) return { policy: existing, hash };
    this.#byHash.set(hash, new WeakRef(decoded));
    this.#forget.register(decoded, hash);
    return { policy: decoded, hash };
  }
}

const interner = new PolicyInterner();
const GUEST_POLICIES: readonly GuestPolicyName[] = ["pv_max", "pv_default", "hvm_max", "hvm_default"];

export function decodeHostPolicies(published: HostPolicies): HostRecord {
  const { policies, ...facts } = published;
  const guest = {} as GuestPolicies;
  const guestHashes = {} as Record<GuestPolicyName, string>;
  for (const name of GUEST_POLICIES) {
    const { policy, hash } = interner.intern(policies[name]);
    guest[name] = policy;
    guestHashes[name] = hash;
  }
  const summaries = Object.fromEntries(
    PolicyNames.map((name) => [
      name,
      { hash: published.hashes[name] ?? "", featureset: policies[name].featureset, featureCount: policies[name].features.length },
    ]),
  ) as HostFacts["summaries"];
  return { hostId: published.hostId, published: { ...facts, summaries }, guest, guestHashes };
}

/** Content hash of the host's guest max policy for this guest type (what audits run against). */
export function guestMaxHash(host: HostRecord, guest: GuestType): string {
  return host.guestHashes[guest === "pv" ? "pv_max" : "hvm_max"];
}
