// XEN_DOMCTL_set_cpu_policy's size limits, exactly at the boundary: Xen
// takes 120 leaves and 2 MSRs, and refuses one more of either (-E2BIG).

import { describe, expect, it } from "vitest";
import { NO_SUBLEAF } from "../../../shared/policy/cpu-policy.ts";
import { deserialisePolicy, MAX_SERIALISED_LEAVES, MAX_SERIALISED_MSRS } from "../../../shared/policy/serialise.ts";

const leaves = (n: number) => Array.from({ length: n }, (_, i) => ({ leaf: 1, subleaf: NO_SUBLEAF, eax: i, ebx: 0, ecx: 0, edx: 0 }));
const tooBig = (message: string) => expect.objectContaining({ name: "PolicyFormatError", code: "too-big", message });
const msrs = (n: number) => Array.from({ length: n }, (_, i) => ({ index: 0xce, flags: 0, value: BigInt(i) }));

describe("Xen's serialised policy size limits", () => {
  it("are 120 leaves and 2 MSRs", () => {
    expect(MAX_SERIALISED_LEAVES).toBe(120);
    expect(MAX_SERIALISED_MSRS).toBe(2);
  });

  it("accept exactly 120 leaves and 2 MSRs (the last duplicate wins)", () => {
    const p = deserialisePolicy({ leaves: leaves(120), msrs: msrs(2) });
    expect(p.basic[1].eax).toBe(119);
    expect(p.platformInfo).toBe(1);
  });

  it("refuse 121 leaves, naming the count and the limit", () => {
    expect(() => deserialisePolicy({ leaves: leaves(121), msrs: [] })).toThrow(tooBig("policy has 121 leaves, Xen accepts at most 120"));
  });

  it("refuse 3 MSRs, naming the count and the limit", () => {
    expect(() => deserialisePolicy({ leaves: [], msrs: msrs(3) })).toThrow(tooBig("policy has 3 MSRs, Xen accepts at most 2"));
  });
});
