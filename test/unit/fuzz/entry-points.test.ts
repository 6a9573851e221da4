// Every outside-input entry point that bench/fuzz.ts runs 100,000 times, run
// a few hundred times here: each case is accepted or refused with the entry
// point's own error, never a crash.

import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { fuzzTargets } from "../../../bench/support/fuzz-targets.ts";

vi.setConfig({ testTimeout: 60_000 });

const targets = await fuzzTargets();

describe("outside input under fuzzing", () => {
  it("covers the parsers, every NATS message, the hosts bucket, serialised policies and request documents", () => {
    expect(targets.map((t) => t.name)).toEqual(
      expect.arrayContaining(["CPUID dump", "xen-cpuid -p", "libxl cpuid=", "Xen cmdline cpuid=", "NATS SetPolicyRequest", "HostPolicies bucket entry", "serialised policy JSON", "request document (YAML/JSON)"]),
    );
  });

  for (const target of targets) {
    it(`${target.name}: mutated real input and random input are accepted or refused with its own error`, () => {
      const seen = { accepted: 0, rejected: 0 };
      fc.assert(
        fc.property(target.input, (input) => {
          seen[target.run(input)]++;
        }),
        { seed: 42, numRuns: 300 },
      );
      expect(seen.accepted + seen.rejected).toBe(300);
    });
  }
});
