import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CpuidRolloutSpec } from "../../../shared/api/v1alpha1/cpuid-rollout.ts";
import { layeredSpec } from "../../../shared/rollout/layer.ts";
import { durationMs, maxFailuresOf, selectTargets, splitWaves, takenAlong } from "../../../shared/rollout/plan.ts";

const keys = (n: number) => Array.from({ length: n }, (_, i) => `ns/p${String(i).padStart(3, "0")}`);
const base = { host: "h1", domain: "d", guestType: "hvm" as const, baseline: "default" as const, enable: [], disable: [] };

describe("splitWaves", () => {
  it("splits by batch size, by cumulative percentages, or into one wave", () => {
    expect(splitWaves(keys(10), { batchSize: 4 }).map((w) => w.length)).toEqual([4, 4, 2]);
    expect(splitWaves(keys(10), { waves: [10, 50, 100] }).map((w) => w.length)).toEqual([1, 4, 5]);
    expect(splitWaves(keys(3), { waves: [1, 2, 100] }).map((w) => w.length)).toEqual([1, 2]);
    expect(splitWaves(keys(7), {}).map((w) => w.length)).toEqual([7]);
    expect(splitWaves([], { batchSize: 3 })).toEqual([]);
  });

  it("keeps every key once, in order, in non-empty waves", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.oneof(fc.record({ batchSize: fc.integer({ min: 1, max: 50 }) }), fc.uniqueArray(fc.integer({ min: 1, max: 99 }), { maxLength: 10 }).map((w) => ({ waves: [...w.sort((a, b) => a - b), 100] }))), (n, strategy) => {
        const waves = splitWaves(keys(n), strategy);
        expect(waves.flat()).toEqual(keys(n));
        for (const w of waves) expect(w.length).toBeGreaterThan(0);
      }),
    );
  });
});

describe("rollout plan pieces", () => {
  it("a disable takes its dependents along, unless they are named", () => {
    expect(takenAlong({ enable: [], disable: ["avx"] })).toEqual(expect.arrayContaining(["avx2", "fma", "avx512f"]));
    expect(takenAlong({ enable: ["avx2"], disable: ["avx"] })).not.toContain("avx2");
    expect(takenAlong({ enable: ["vmx"], disable: [] })).toEqual([]);
  });

  it("maxFailures as a count or a percentage of the planned policies, rounded down; durations", () => {
    expect([maxFailuresOf(3, 100), maxFailuresOf("10%", 95), maxFailuresOf("0%", 10), maxFailuresOf("100%", 7)]).toEqual([3, 9, 0, 7]);
    expect([durationMs("0s"), durationMs("30s"), durationMs("1m30s"), durationMs("2h"), durationMs("250ms")]).toEqual([0, 30_000, 90_000, 7_200_000, 250]);
  });

  it("selects by namespace labels, policy labels and pool membership; leaves out full policies and invalid specs, saying why", () => {
    const spec = CpuidRolloutSpec.parse({ enable: ["vmx"], targets: { namespaceSelector: { matchLabels: { env: "prod" } }, selector: { matchLabels: { tier: "web" } }, pool: "p" } });
    const candidates = [
      { key: "prod/a", namespace: "prod", labels: { tier: "web" }, spec: { ...base, host: "h1" } },
      { key: "prod/b", namespace: "prod", labels: { tier: "web" }, spec: { ...base, host: "h9" } },
      { key: "prod/c", namespace: "prod", labels: { tier: "db" }, spec: base },
      { key: "dev/d", namespace: "dev", labels: { tier: "web" }, spec: base },
      { key: "prod/e", namespace: "prod", labels: { tier: "web" }, spec: { ...base, policy: { leaves: [], msrs: [] } } },
      { key: "prod/f", namespace: "prod", labels: { tier: "web" }, spec: undefined },
    ];
    const t = selectTargets(spec, candidates, (ns): Record<string, string> => (ns === "prod" ? { env: "prod" } : {}), new Set(["h1"]));
    expect(t.keys).toEqual(["prod/a"]);
    expect(t.skipped.map((s) => s.key)).toEqual(["prod/e", "prod/f"]);
    expect(selectTargets(spec, candidates, () => ({ env: "prod" }), undefined).keys).toEqual([]);
  });

  it("refuses at parse what the CRD's rules refuse", () => {
    const bad = (s: object) => CpuidRolloutSpec.safeParse(s).error?.issues.map((i) => i.message);
    expect(bad({})).toEqual(["give at least one feature to enable or disable"]);
    expect(bad({ enable: ["vmx"], disable: ["vmx"] })).toEqual(["features both enabled and disabled: vmx"]);
    expect(bad({ enable: ["vmx"], strategy: { waves: [50, 20, 100] } })).toEqual(["wave percentages must increase"]);
    expect(bad({ enable: ["vmx"], strategy: { waves: [50] } })).toEqual(["the last wave must reach 100 (%)"]);
    expect(bad({ enable: ["vmx"], strategy: { batchSize: 2, waves: [100] } })).toEqual(["give batchSize or waves, not both"]);
    expect(bad({ enable: ["no-such-feature"] })?.[0]).toMatch(/Invalid option/);
    expect(bad({ enable: ["vmx"], strategy: { maxFailures: "ten" } })?.[0]).toBeDefined();
  });
});

describe("layeredSpec", () => {
  it("applies rollouts in order over the spec; a later layer wins; full policies are left alone", () => {
    const spec = { ...base, enable: ["rdrand"], disable: ["vmx"] };
    expect(layeredSpec(spec, [])).toBe(spec);
    const l = layeredSpec(spec, [
      { rollout: "r0", enable: ["vmx"], disable: [] },
      { rollout: "r1", enable: [], disable: ["rdrand"] },
    ]);
    expect(l).toMatchObject({ enable: ["vmx"], disable: ["rdrand"] });
    const full = { ...base, policy: { leaves: [], msrs: [] } };
    expect(layeredSpec(full, [{ rollout: "r0", enable: ["vmx"], disable: [] }])).toBe(full);
  });
});
