// The demo's summary: one row per policy with its audit and apply outcome,
// the failed audit's message, and the GDS note for Intel hosts whose raw CPU
// has AVX but whose Xen host policy has not.

import { describe, expect, it } from "vitest";
import type { DomainCpuidPolicyObject } from "../../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import type { HostCpuidPolicyObject } from "../../../shared/api/v1alpha1/host-cpuid-policy.ts";
import { featuresetFromNames, formatFeatureset } from "../../../shared/featureset/featureset.ts";
import { isSettled } from "../../../scripts/demo/settle.ts";
import { renderSummary } from "../../../scripts/demo/summary.ts";

const fs = (...names: string[]) => formatFeatureset(featuresetFromNames(names));
const summary = (featureset: string, featureCount = 10) => ({ hash: "h", featureset, featureCount });

function host(hostId: string, vendor: string, raw: string[], hostFeatures: string[]): HostCpuidPolicyObject {
  return {
    apiVersion: "cpuidfleet.io/v1alpha1",
    kind: "HostCpuidPolicy",
    metadata: { name: hostId },
    status: { hostId, vendor, brand: `${hostId} CPU`, policies: { raw: summary(fs(...raw)), host: summary(fs(...hostFeatures)), hvm_max: summary("", 80), hvm_default: summary("", 70) } as never },
  };
}

function policy(name: string, audited: "True" | "False", applied: { status: "True" | "False"; reason: string; message?: string }, findings = 0): DomainCpuidPolicyObject {
  const condition = (type: string, status: "True" | "False", reason: string, message = "") => ({ type, status, reason, message, lastTransitionTime: "2026-01-01T00:00:00Z", observedGeneration: 1 });
  return {
    apiVersion: "cpuidfleet.io/v1alpha1",
    kind: "DomainCpuidPolicy",
    metadata: { name, namespace: "default", generation: 1 },
    spec: { host: "host-a", domain: `${name}-vm`, guestType: "hvm" },
    status: {
      observedGeneration: 1,
      conditions: [condition("Audited", audited, audited === "True" ? "AuditPassed" : "AuditFailed", audited === "True" ? "" : "1 finding: avx512f …"), condition("Applied", applied.status, applied.reason, applied.message)],
      findings: Array.from({ length: findings }, () => ({ code: "feature-not-in-max", features: ["avx512f"], message: "avx512f …" })),
    },
  };
}

describe("renderSummary", () => {
  const text = renderSummary({
    settled: true,
    hosts: [host("host-skylake", "intel", ["avx", "xsave"], ["xsave"]), host("host-rome", "amd", ["avx", "xsave"], ["avx", "xsave"])],
    policies: [
      policy("ok", "True", { status: "True", reason: "Applied" }),
      policy("later", "True", { status: "True", reason: "Staged", message: "staged on host-a: domain later-vm is running" }),
      policy("bad", "False", { status: "False", reason: "NotAudited" }, 1),
    ],
  });

  it("shows each policy's outcome and findings count", () => {
    expect(text).toMatch(/^ {2}ok\s+host-a\s+ok-vm\s+hvm\s+True\s+applied\s+0$/m);
    expect(text).toMatch(/^ {2}later\s+host-a\s+later-vm\s+hvm\s+True\s+staged\s+0$/m);
    expect(text).toMatch(/^ {2}bad\s+host-a\s+bad-vm\s+hvm\s+False\s+not sent\s+1$/m);
    expect(text).toContain("  bad: 1 finding: avx512f …");
    expect(text).toContain("  later: staged on host-a: domain later-vm is running");
  });

  it("explains AVX missing on an Intel host by GDS, only there", () => {
    expect(text).toMatch(/^ {2}host-skylake\s.*no AVX \(GDS\) \*$/m);
    expect(text).not.toMatch(/host-rome\s.*GDS/);
    expect(text).toContain("* host-skylake: the CPUs have AVX, but Xen turns AVX");
  });
});

describe("isSettled", () => {
  it("waits for the current generation's audit, and for the apply unless the audit failed", () => {
    expect(isSettled(policy("a", "True", { status: "True", reason: "Staged" }))).toBe(true);
    expect(isSettled(policy("b", "False", { status: "False", reason: "NotAudited" }))).toBe(true);
    expect(isSettled(policy("c", "True", { status: "False", reason: "HostUnavailable" }))).toBe(false);
    const stale = policy("d", "True", { status: "True", reason: "Applied" });
    stale.metadata.generation = 2;
    expect(isSettled(stale)).toBe(false);
  });
});
