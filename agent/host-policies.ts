// A probe's result as the HostPolicies message this host publishes.

import { hash } from "node:crypto";
import type { DerivedPolicies } from "../shared/derive/derive.ts";
import { hostTscFacts } from "../shared/derive/tsc-frequency.ts";
import { policyHash } from "../shared/policy/canonical.ts";
import { basicMaxLeaf, type CpuPolicy } from "../shared/policy/cpu-policy.ts";
import { policyView } from "../shared/policy/policy-view.ts";
import { brandString, policySignature, policyVendor } from "../shared/policy/vendor.ts";
import type { GuestType } from "../shared/schemas/guest.ts";
import { HOST_POLICIES_SCHEMA_VERSION, type HostPolicies } from "../shared/schemas/host-policies.ts";
import { PolicyNames, type PolicyName } from "../shared/schemas/policy.ts";
import type { ProbeResult } from "./probes/probe.ts";

export const AGENT_VERSION: string = (await import("../package.json", { with: { type: "json" } })).default.version;

export function policyHashes(policies: DerivedPolicies): Record<PolicyName, string> {
  return Object.fromEntries(PolicyNames.map((n) => [n, policyHash(policies[n])])) as Record<PolicyName, string>;
}

/** Changes whenever the policies or anything that shaped them (Xen version, command line, microcode) change. */
export function fingerprintDigest(result: ProbeResult, hashes: Record<PolicyName, string>): string {
  const { probe, xenVersion, xenCommandLine, cpuidCmdline, microcode } = result.facts;
  const releaseModel = result.policies.release;
  const input = JSON.stringify({ hashes, probe, xenVersion, xenCommandLine, cpuidCmdline, microcode, releaseModel });
  return `sha256:${hash("sha256", input, "hex")}`;
}

export function guestTypes(policies: DerivedPolicies): GuestType[] {
  const offered = (p: CpuPolicy) => basicMaxLeaf(p) > 0;
  return [...(offered(policies.pv_max) ? ["pv" as const] : []), ...(offered(policies.hvm_max) ? ["hvm" as const] : [])];
}

export function buildHostPolicies(hostId: string, result: ProbeResult, now = new Date()): HostPolicies {
  const { policies } = result;
  const hashes = policyHashes(policies);
  const sig = policySignature(policies.host);
  return {
    schemaVersion: HOST_POLICIES_SCHEMA_VERSION,
    hostId,
    fingerprint: {
      ...result.facts,
      ...(policies.release ? { releaseModel: policies.release } : {}),
      digest: fingerprintDigest(result, hashes),
    },
    cpu: { vendor: policyVendor(policies.host), family: sig.family, model: sig.model, stepping: sig.stepping, brand: brandString(policies.raw) },
    tsc: hostTscFacts(policies.raw, result.tscKhz),
    policies: Object.fromEntries(PolicyNames.map((n) => [n, policyView(policies[n])])) as HostPolicies["policies"],
    hashes,
    guestTypes: guestTypes(policies),
    agentVersion: AGENT_VERSION,
    publishedAt: now.toISOString(),
  };
}
