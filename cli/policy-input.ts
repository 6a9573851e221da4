// Reading a policy input file for the `policy` commands, and the text
// summary both `policy derive` and `policy show` print.

import { readFileSync } from "node:fs";
import { UsageError } from "./command.ts";
import { deriveFromCpuidDump } from "../shared/derive/from-dump.ts";
import { deriveFromXenHost, type DerivedPolicies } from "../shared/derive/derive.ts";
import type { ReleaseName } from "../shared/derive/release.ts";
import { hostTscFacts, tscKhzFromCpuid } from "../shared/derive/tsc-frequency.ts";
import type { HostFacts } from "../shared/level/host-facts.ts";
import { bootCpu, cpuidQuery, parseCpuidDump } from "../shared/formats/cpuid-dump.ts";
import { detectPolicyInput } from "../shared/formats/detect.ts";
import { FormatError } from "../shared/formats/format-error.ts";
import { parseXenCpuidPolicy } from "../shared/formats/xen-cpuid-policy.ts";
import { andNotFeatureset, featureNames, formatFeatureset } from "../shared/featureset/featureset.ts";
import type { CpuPolicy } from "../shared/policy/cpu-policy.ts";
import { policyFeatureset } from "../shared/policy/featureset-io.ts";
import { POLICY_ORDER, type PolicySetName } from "../shared/policy/policy-view.ts";
import { brandString, policySignature, policyVendor } from "../shared/policy/vendor.ts";

export function readInput(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as Error).message}`);
  }
}

/** How to derive: Xen's `cpuid=` boot option and the Xen release to emulate. */
export interface DeriveChoice {
  cmdline?: string;
  release?: ReleaseName;
}

export interface DerivedHost {
  policies: DerivedPolicies;
  /** what the file probe would publish as HostPolicies.tsc: only a dump has leaves 0x15/0x16 for the frequency */
  tsc: NonNullable<HostFacts["tsc"]>;
}

/** Derive the six policies from a CPUID dump or `xen-cpuid -p` output (from Xen's Host policy), with the host's TSC facts. */
export function deriveHost(text: string, file: string, { cmdline, release }: DeriveChoice): DerivedHost {
  const kind = detectPolicyInput(text, file);
  if (kind === "cpuid-dump") {
    const dump = parseCpuidDump(text, file);
    const policies = deriveFromCpuidDump(dump, { cmdline, release });
    return { policies, tsc: hostTscFacts(policies.raw, tscKhzFromCpuid(cpuidQuery(bootCpu(dump)))) };
  }
  if (kind === "xen-cpuid-policy") {
    const out = parseXenCpuidPolicy(text, file);
    const host = out.blocks.find((b) => b.name === "host");
    if (!host) throw new FormatError(file, 1, 1, "no \"Host policy\" in this xen-cpuid -p output (domain-only output cannot be derived from)");
    const raw = out.blocks.find((b) => b.name === "raw");
    const policies = deriveFromXenHost(host.policy, { cmdline, release, raw: raw?.policy });
    return { policies, tsc: hostTscFacts(policies.raw, undefined) };
  }
  throw new UsageError(`${file}: xen-cpuid featuresets carry no leaves to derive from; give a CPUID dump or xen-cpuid -p output`);
}

export const derivePolicies = (text: string, file: string, choice: DeriveChoice): DerivedPolicies => deriveHost(text, file, choice).policies;

/** Each policy's featureset and what changed relative to the policy it was derived from. */
const DERIVED_FROM: Record<PolicySetName, PolicySetName | undefined> = {
  raw: undefined,
  host: "raw",
  pv_max: "host",
  pv_default: "pv_max",
  hvm_max: "host",
  hvm_default: "hvm_max",
};

export function policySetText(identity: CpuPolicy, policies: Partial<Record<PolicySetName, CpuPolicy>>): string {
  const sig = policySignature(identity);
  const lines = [
    `CPU: ${policyVendor(identity)} family 0x${sig.family.toString(16)} model 0x${sig.model.toString(16)} stepping 0x${sig.stepping.toString(16)}` +
      (brandString(identity) ? ` (${brandString(identity)})` : ""),
  ];
  for (const name of POLICY_ORDER) {
    const p = policies[name];
    if (!p) continue;
    const fs = policyFeatureset(p);
    lines.push("", `${name}: ${featureNames(fs).length} features`, `  featureset ${formatFeatureset(fs)}`);
    const fromName = DERIVED_FROM[name];
    const from = fromName && policies[fromName];
    if (!from) continue;
    const prev = policyFeatureset(from);
    const added = featureNames(andNotFeatureset(fs, prev));
    const removed = featureNames(andNotFeatureset(prev, fs));
    lines.push(`  vs ${fromName}: +${added.length} -${removed.length}`);
    if (added.length) lines.push(`    added:   ${added.join(" ")}`);
    if (removed.length) lines.push(`    removed: ${removed.join(" ")}`);
  }
  return `${lines.join("\n")}\n`;
}
