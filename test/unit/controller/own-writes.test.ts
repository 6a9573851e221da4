// Which copy of an object a reconciler decides on: its own last write while
// the informer still shows a version that write replaced (otherwise a
// rollout's status write would be refused with 409, a domain policy's audit
// failure counted twice), the informer's once it caught up or someone else
// wrote (another replica, leading meanwhile).

import { describe, expect, it } from "vitest";
import { OwnWrites } from "../../../controller/kube/own-writes.ts";
import type { CpuidRolloutObject } from "../../../shared/api/v1alpha1/cpuid-rollout.ts";
import type { DomainCpuidPolicyObject } from "../../../shared/api/v1alpha1/domain-cpuid-policy.ts";

const version = (resourceVersion: string, currentWave: number): CpuidRolloutObject => ({
  apiVersion: "cpuidfleet.io/v1alpha1",
  kind: "CpuidRollout",
  metadata: { name: "r", resourceVersion },
  spec: { enable: ["itsc"] },
  status: { currentWave },
});

describe("OwnWrites", () => {
  it("gives the informer's copy when this replica wrote nothing", () => {
    const cached = version("10", 0);
    expect(new OwnWrites<CpuidRolloutObject>().current(cached)).toBe(cached);
  });

  it("gives its own write while the informer still shows the version the write replaced", () => {
    const own = new OwnWrites<CpuidRolloutObject>();
    const before = version("10", 0);
    const stored = version("11", 1);
    own.wrote(own.current(before), stored);
    expect(own.current(before)).toBe(stored);
  });

  it("gives the latest of several writes while the informer still shows any version they replaced", () => {
    const own = new OwnWrites<CpuidRolloutObject>();
    const first = version("10", 0);
    const second = version("11", 1);
    const third = version("12", 2);
    own.wrote(own.current(first), second);
    own.wrote(own.current(first), third);
    expect(own.current(first)).toBe(third);
    expect(own.current(second)).toBe(third);
  });

  it("gives the informer's copy once it shows the write, and from then on", () => {
    const own = new OwnWrites<CpuidRolloutObject>();
    const before = version("10", 0);
    own.wrote(before, version("11", 1));
    const caughtUp = version("11", 1);
    expect(own.current(caughtUp)).toBe(caughtUp);
    expect(own.current(before)).toBe(before);
  });

  it("gives the informer's copy when someone else wrote since", () => {
    const own = new OwnWrites<CpuidRolloutObject>();
    own.wrote(version("10", 0), version("11", 1));
    const theirs = version("12", 0);
    expect(own.current(theirs)).toBe(theirs);
  });

  it("forgets a write (refused, or the rollout is gone)", () => {
    const own = new OwnWrites<CpuidRolloutObject>();
    const before = version("10", 0);
    own.wrote(before, version("11", 1));
    own.forget({ name: "r" });
    expect(own.current(before)).toBe(before);
  });

  it("keeps rollouts apart", () => {
    const own = new OwnWrites<CpuidRolloutObject>();
    own.wrote(version("10", 0), version("11", 1));
    const other: CpuidRolloutObject = { ...version("10", 0), metadata: { name: "other", resourceVersion: "10" } };
    expect(own.current(other)).toBe(other);
  });

  it("keeps objects of the same name in different namespaces apart", () => {
    const own = new OwnWrites<DomainCpuidPolicyObject>();
    const policy = (namespace: string, resourceVersion: string): DomainCpuidPolicyObject => ({ apiVersion: "cpuidfleet.io/v1alpha1", kind: "DomainCpuidPolicy", metadata: { name: "p", namespace, resourceVersion }, spec: {} });
    const stored = policy("a", "11");
    own.wrote(policy("a", "10"), stored);
    expect(own.current(policy("a", "10"))).toBe(stored);
    const elsewhere = policy("b", "10");
    expect(own.current(elsewhere)).toBe(elsewhere);
  });

  it("parses a write kept as the apiserver's JSON answer only when it is decided on, once", () => {
    const own = new OwnWrites<CpuidRolloutObject>();
    const before = version("10", 0);
    own.wrote(before, JSON.stringify(version("11", 1)));
    const decided = own.current(before);
    expect(decided).toEqual(version("11", 1));
    expect(own.current(before)).toBe(decided);
    const third = version("12", 2);
    own.wrote(decided, third);
    expect(own.current(before)).toBe(third);
  });

  it("falls back to the informer's copy when a kept answer is not JSON", () => {
    const own = new OwnWrites<CpuidRolloutObject>();
    const before = version("10", 0);
    own.wrote(before, "{cut");
    expect(own.current(before)).toBe(before);
  });

  it("lets go of a write once the informer shows it, but not while it shows a version the write replaced", () => {
    const own = new OwnWrites<CpuidRolloutObject>();
    const before = version("10", 0);
    const stored = version("11", 1);
    own.wrote(before, stored);
    own.caughtUp(before);
    expect(own.current(before)).toBe(stored);
    own.caughtUp(version("11", 1));
    expect(own.current(before)).toBe(before);
  });
});
