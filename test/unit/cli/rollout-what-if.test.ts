import { beforeAll, describe, expect, it } from "vitest";
import { CpuidRolloutSpec, type CpuidRolloutObject } from "../../../shared/api/v1alpha1/cpuid-rollout.ts";
import type { DomainCpuidPolicyObject } from "../../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { poolBaseline } from "../../../shared/domain-policy/pool-baseline.ts";
import { decodeHostPolicies, type HostRecord } from "../../../shared/hosts/host-record.ts";
import { planText } from "../../../cli/rollout-plan-text.ts";
import { rolloutWhatIf, type PlanWorld } from "../../../cli/rollout-what-if.ts";
import { HASWELL, SAPPHIRE_RAPIDS, hostPoliciesFrom } from "../controller/host-fixture.ts";

const hosts = new Map<string, HostRecord>();
beforeAll(async () => {
  hosts.set("spr", decodeHostPolicies(await hostPoliciesFrom("spr", SAPPHIRE_RAPIDS)));
  hosts.set("hsw", decodeHostPolicies(await hostPoliciesFrom("hsw", HASWELL)));
});

const policy = (name: string, spec: Record<string, unknown>, labels: Record<string, string> = { wave: "yes" }): DomainCpuidPolicyObject => ({
  apiVersion: "cpuidfleet.io/v1alpha1",
  kind: "DomainCpuidPolicy",
  metadata: { name, namespace: "ns", labels },
  spec: { domain: `vm-${name}`, guestType: "hvm", ...spec },
});
const world = (policies: DomainCpuidPolicyObject[], rollouts: CpuidRolloutObject[] = []): PlanWorld => ({
  policies,
  namespaceLabels: new Map(),
  poolMembers: undefined,
  rollouts,
  host: (id) => hosts.get(id) ?? `host ${id} has not published`,
  pool: (name) => poolBaseline(name, undefined),
});
const rollout = (s: Record<string, unknown>) => CpuidRolloutSpec.parse({ targets: { selector: { matchLabels: { wave: "yes" } } }, ...s });

describe("rolloutWhatIf", () => {
  const fleet = () => [
    policy("a", { host: "spr" }),
    policy("b", { host: "hsw" }),
    policy("c", { host: "spr", enable: ["movdiri"] }),
    policy("d", { host: "gone" }),
    policy("full", { host: "spr", policy: { leaves: [], msrs: [] } }),
    policy("other", { host: "spr" }, {}),
  ];

  it("plans like the controller, names each policy that would fail and why, and the wave it would halt in", () => {
    const w = rolloutWhatIf("movdiri", rollout({ enable: ["movdiri"], strategy: { batchSize: 2, maxFailures: 1 } }), world(fleet()));
    expect(w.waves).toEqual([["ns/a", "ns/b"], ["ns/c", "ns/d"]]);
    expect(w.skipped).toEqual([{ key: "ns/full", why: "it gives a full spec.policy, which has no features to layer on" }]);
    expect(w.verdicts.map((v) => [v.policy, v.ok, v.unchanged])).toEqual([
      ["ns/a", true, false],
      ["ns/b", false, false],
      ["ns/c", true, true],
      ["ns/d", false, false],
    ]);
    expect(w.verdicts[1].findings?.flatMap((f) => f.features)).toContain("movdiri");
    expect(w.verdicts[3].reason).toBe("host gone has not published");
    expect(w).toMatchObject({ wouldFail: 2, tolerated: 1, haltsInWave: 2 });
    const text = planText(w);
    expect(text).toContain("would fail now: 2 of 4 policies; more than maxFailures (1): the rollout would halt in wave 2");
    expect(text).toContain("ns/b (host hsw, wave 1): 1 finding");
    expect(text).toContain("already asking for the change (the layer alters nothing): ns/c");
    expect(text).toContain("ns/full: it gives a full spec.policy");
  });

  it("a disable lists what it takes along; targets selecting nothing say nothing would move", () => {
    const w = rolloutWhatIf("off", rollout({ disable: ["avx2"], targets: { selector: { matchLabels: { wave: "none" } } } }), world(fleet()));
    expect(w.takenAlong).toContain("avx512f");
    expect(w.waves).toEqual([]);
    expect(planText(w)).toContain("nothing would move");
  });

  it("layers another rollout that already reached a policy under this one, and says when it would wait for it", () => {
    const first: CpuidRolloutObject = {
      apiVersion: "cpuidfleet.io/v1alpha1",
      kind: "CpuidRollout",
      metadata: { name: "first", creationTimestamp: new Date("2026-01-01T00:00:00Z") },
      spec: {},
      status: { change: { enable: ["movdiri"], disable: [] }, waves: [{ policies: ["ns/a"], phase: "Settled" }] },
    };
    const w = rolloutWhatIf("second", rollout({ enable: ["movdiri"] }), world([policy("a", { host: "spr" })], [first]));
    expect(w.verdicts).toMatchObject([{ policy: "ns/a", ok: true, unchanged: true }]);
    expect(w.waitsFor).toEqual({ name: "first", features: ["movdiri"], policies: 1 });
    expect(planText(w)).toContain("waits: CpuidRollout first already changes movdiri in 1 of these policies");
  });
});
