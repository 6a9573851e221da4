// The demo's pools section: when a pool counts as levelled (Ready on its
// current spec, every selected host a member or refused), each pool's level
// and limiting hosts, and where each domain could move within its pool.

import { describe, expect, it } from "vitest";
import type { CpuidPoolObject } from "../../../shared/api/v1alpha1/cpuid-pool.ts";
import type { DomainCpuidPolicyObject } from "../../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import type { HostCpuidPolicyObject } from "../../../shared/api/v1alpha1/host-cpuid-policy.ts";
import { isLevelled } from "../../../scripts/demo/pools.ts";
import { renderPools } from "../../../scripts/demo/pools-summary.ts";

const HASH = `sha256:${"0123456789abcdef".repeat(4)}`;

const host = (name: string, vendor: string): HostCpuidPolicyObject => ({
  apiVersion: "cpuidfleet.io/v1alpha1",
  kind: "HostCpuidPolicy",
  metadata: { name, labels: { "cpuidfleet.io/vendor": vendor } },
});

function pool(name: string, vendor: string, status: CpuidPoolObject["status"], generation = 1): CpuidPoolObject {
  return {
    apiVersion: "cpuidfleet.io/v1alpha1",
    kind: "CpuidPool",
    metadata: { name, generation },
    spec: { hostSelector: { matchLabels: { "cpuidfleet.io/vendor": vendor } }, guestType: "hvm" },
    status: { observedGeneration: 1, ...status },
  };
}

const ready = (status: "True" | "False", message = "") => [{ type: "Ready", status, reason: status === "True" ? "Levelled" : "NoMembers", message, lastTransitionTime: "2026-01-01T00:00:00Z" }];
const level = (n: number) => ({ featureset: "", features: Array.from({ length: n }, (_, i) => `f${i}`), hash: HASH, hosts: [] });

function policy(name: string, host: string, accepting: string[]): DomainCpuidPolicyObject {
  return {
    apiVersion: "cpuidfleet.io/v1alpha1",
    kind: "DomainCpuidPolicy",
    metadata: { name, namespace: "default" },
    spec: { host, domain: "vm", guestType: "hvm" },
    status: { acceptingHosts: { count: accepting.length, hosts: accepting } },
  };
}

const hosts = [host("i1", "intel"), host("i2", "intel"), host("i3", "intel"), host("a1", "amd")];

describe("isLevelled", () => {
  it("needs Ready on the current generation and every selected host a member or refused", () => {
    const all = { members: ["i1", "i2"], incompatibleHosts: [{ host: "i3", missing: ["sha"] }], conditions: ready("True") };
    expect(isLevelled(pool("intel", "intel", all), hosts)).toBe(true);
    expect(isLevelled(pool("intel", "intel", { ...all, incompatibleHosts: [] }), hosts)).toBe(false);
    expect(isLevelled(pool("intel", "intel", { ...all, conditions: ready("False") }), hosts)).toBe(false);
    expect(isLevelled(pool("intel", "intel", all, 2), hosts)).toBe(false);
  });
});

describe("renderPools", () => {
  const removes = Array.from({ length: 10 }, (_, i) => `r${i}`);
  const text = renderPools({
    settled: true,
    pools: [
      pool("intel", "intel", { members: ["i1", "i2", "i3"], level: level(61), limitingHosts: [{ host: "i1", removes }], conditions: ready("True") }),
      pool("amd", "amd", { members: [], incompatibleHosts: [{ host: "a1", missing: ["sha"] }], conditions: ready("False", "no host can run the pinned level") }),
    ],
    policies: [policy("p1", "i1", ["i1", "i3", "a1"]), policy("p2", "a1", ["a1"]), policy("p3", "i2", [])],
  });

  it("lists each pool with its level and what each limiting host removes", () => {
    expect(text).toMatch(/^ {2}intel\s+hvm\s+3\s+61 features\s+sha256:0123456789ab$/m);
    expect(text).toMatch(/^ {2}amd\s+hvm\s+0\s+-\s+-$/m);
    expect(text).toContain("  intel: i1, i2, i3\n    i1 limits it, removes 10: r0, r1, r2, r3, r4, r5, r6, r7, … and 2 more\n");
    expect(text).toContain("  amd: no members\n    a1 refused: lacks sha\n    not ready: no host can run the pinned level\n");
  });

  it("says where each domain could move, and how much of its pool accepts it", () => {
    expect(text).toMatch(/^ {2}p1\s+i1\s+intel: 2 of 3\s+3: i1, i3, a1$/m);
    expect(text).toMatch(/^ {2}p2\s+a1\s+-\s+1: a1$/m);
    expect(text).toMatch(/^ {2}p3\s+i2\s+intel: 0 of 3\s+none$/m);
  });
});
