// Which copy of a rollout the reconciler decides on: its own last write while
// the informer still shows a version that write replaced (otherwise the
// status write would be refused with 409), the informer's once it caught up
// or someone else wrote.

import { describe, expect, it } from "vitest";
import { OwnWrites } from "../../../controller/rollout/own-writes.ts";
import type { CpuidRolloutObject } from "../../../shared/api/v1alpha1/cpuid-rollout.ts";

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
    expect(new OwnWrites().current(cached)).toBe(cached);
  });

  it("gives its own write while the informer still shows the version the write replaced", () => {
    const own = new OwnWrites();
    const before = version("10", 0);
    const stored = version("11", 1);
    own.wrote(own.current(before), stored);
    expect(own.current(before)).toBe(stored);
  });

  it("gives the latest of several writes while the informer still shows any version they replaced", () => {
    const own = new OwnWrites();
    const first = version("10", 0);
    const second = version("11", 1);
    const third = version("12", 2);
    own.wrote(own.current(first), second);
    own.wrote(own.current(first), third);
    expect(own.current(first)).toBe(third);
    expect(own.current(second)).toBe(third);
  });

  it("gives the informer's copy once it shows the write, and from then on", () => {
    const own = new OwnWrites();
    const before = version("10", 0);
    own.wrote(before, version("11", 1));
    const caughtUp = version("11", 1);
    expect(own.current(caughtUp)).toBe(caughtUp);
    expect(own.current(before)).toBe(before);
  });

  it("gives the informer's copy when someone else wrote since", () => {
    const own = new OwnWrites();
    own.wrote(version("10", 0), version("11", 1));
    const theirs = version("12", 0);
    expect(own.current(theirs)).toBe(theirs);
  });

  it("forgets a write (refused, or the rollout is gone)", () => {
    const own = new OwnWrites();
    const before = version("10", 0);
    own.wrote(before, version("11", 1));
    own.forget("r");
    expect(own.current(before)).toBe(before);
  });

  it("keeps rollouts apart", () => {
    const own = new OwnWrites();
    own.wrote(version("10", 0), version("11", 1));
    const other: CpuidRolloutObject = { ...version("10", 0), metadata: { name: "other", resourceVersion: "10" } };
    expect(own.current(other)).toBe(other);
  });
});
