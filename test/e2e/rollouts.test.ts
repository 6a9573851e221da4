// A CpuidRollout end to end on the real control plane: kubectl, two
// controller replicas, sim agents on the demo's real CPU profiles. Nested
// virtualisation (vmx) is an opt-in every Intel host offers and no AMD host
// has: the rollout goes through the Intel policies wave by wave, survives
// the leader being killed mid-rollout, halts on the wave that reaches the AMD
// host, and a rollback returns every policy to exactly its spec-only
// effective policy. No DomainCpuidPolicy spec is ever written.

import { type ControllerProcess, LEASE_NAMESPACE } from "../../devenv/daemons/controller.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CpuidRolloutObject } from "../../shared/api/v1alpha1/cpuid-rollout.ts";
import type { DomainCpuidPolicyObject } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { ensureNamespace, eventually, kubectlOk, metricValue, profile, startController, startSimHost, type SimHost } from "./fleet.ts";

const NS = "e2e-rollouts";
const LABEL = "e2e-rollout";
const PER_INTEL_HOST = 20;
const ON_AMD = 20;
const TOTAL = 2 * PER_INTEL_HOST + ON_AMD;

let hosts: { icelake: SimHost; sapphire: SimHost; rome: SimHost };
const replicas: ControllerProcess[] = [];

beforeAll(async () => {
  await Promise.all([ensureNamespace(NS), ensureNamespace(LEASE_NAMESPACE)]);
  const [icelake, sapphire, rome] = await Promise.all([
    startSimHost("rol-icelake", profile("icelake")),
    startSimHost("rol-sapphirerapids", profile("sapphirerapids")),
    startSimHost("rol-rome", profile("rome")),
  ]);
  hosts = { icelake, sapphire, rome };
  replicas.push(...(await Promise.all(["rollout-a", "rollout-b"].map((id) => startController(id)))));
});

afterAll(async () => {
  for (const r of replicas) await r.stop("SIGTERM").catch(() => undefined);
  await Promise.all(Object.values(hosts ?? {}).map((h) => h.agent.stop()));
});

/** Sorted by name, the Intel policies (a-…) come before the AMD ones (b-…): the waves reach the AMD host last. */
function policyDocs(): string {
  const doc = (name: string, host: string) =>
    JSON.stringify({ apiVersion: "cpuidfleet.io/v1alpha1", kind: "DomainCpuidPolicy", metadata: { name, namespace: NS, labels: { [LABEL]: "yes" } }, spec: { host, domain: `vm-${name}`, guestType: "hvm" } });
  const docs: string[] = [];
  for (let i = 0; i < PER_INTEL_HOST; i++) docs.push(doc(`a-ice-${String(i).padStart(2, "0")}`, hosts.icelake.hostId), doc(`a-spr-${String(i).padStart(2, "0")}`, hosts.sapphire.hostId));
  for (let i = 0; i < ON_AMD; i++) docs.push(doc(`b-rome-${String(i).padStart(2, "0")}`, hosts.rome.hostId));
  return docs.join("\n");
}

const listPolicies = async (): Promise<DomainCpuidPolicyObject[]> => JSON.parse(await kubectlOk(["get", "dcp", "-n", NS, "-l", `${LABEL}=yes`, "-o", "json"])).items;
const getRollout = async (): Promise<CpuidRolloutObject> => JSON.parse(await kubectlOk(["get", "crollout", "vmx", "-o", "json"]));
const cond = (o: { status?: { conditions?: { type: string; status: string; reason: string }[] } }, type: string) => o.status?.conditions?.find((c) => c.type === type);
const ready = (o: DomainCpuidPolicyObject) => cond(o, "Ready")?.status === "True";
const leaders = async () => (await Promise.all(replicas.map(async (r) => ((await r.isLeader().catch(() => false)) ? r : undefined)))).filter((r) => r !== undefined);
const setResults = async (host: SimHost, result: string) => metricValue(await host.agent.metrics(), "cpuid_agent_requests_total", { host: host.hostId, op: "set", result });

describe("CpuidRollout", () => {
  it("goes wave by wave, survives a leader kill, halts where hosts lack the feature, and rolls back to every original policy", { timeout: 300_000 }, async () => {
    await kubectlOk(["apply", "-f", "-"], { stdin: policyDocs() });
    await eventually("all Ready", async () => expect((await listPolicies()).filter(ready)).toHaveLength(TOTAL), 90_000, 500);
    const before = new Map((await listPolicies()).map((p) => [p.metadata.name!, { hash: p.status!.policyHash, generation: p.metadata.generation }]));
    const stagedBefore = { ice: await setResults(hosts.icelake, "staged"), rome: await setResults(hosts.rome, "staged") };

    await kubectlOk(["apply", "-f", "-"], {
      stdin: JSON.stringify({
        apiVersion: "cpuidfleet.io/v1alpha1",
        kind: "CpuidRollout",
        metadata: { name: "vmx" },
        spec: { enable: ["vmx"], targets: { selector: { matchLabels: { [LABEL]: "yes" } } }, strategy: { waves: [10, 25, 50, 100], maxFailures: 0 } },
      }),
    });
    // the plan: 6, 9, 15 Intel policies, then the last 10 Intel and all 20 AMD ones
    await eventually("planned", async () => expect((await getRollout()).status?.waves?.map((w) => w.policies.length)).toEqual([6, 9, 15, 30]));

    // kill the leader once the second wave has started
    await eventually("wave 2 started", async () => expect((await getRollout()).status?.currentWave).toBeGreaterThanOrEqual(1), 60_000, 100);
    const [leader] = await leaders();
    await leader.stop("SIGKILL");
    replicas.splice(replicas.indexOf(leader), 1);
    await eventually("the other replica leads", async () => expect(await leaders()).toHaveLength(1), 30_000, 100);

    await eventually(
      "halted, every policy of the last wave settled",
      async () => {
        const r = await getRollout();
        expect(cond(r, "Halted")?.status).toBe("True");
        expect(r.status?.counts?.progressing).toBe(0);
      },
      120_000,
      250,
    );
    const halted = await getRollout();
    expect(cond(halted, "Halted")?.reason).toBe("TooManyFailures");
    expect(halted.status?.waves?.map((w) => w.phase)).toEqual(["Settled", "Settled", "Settled", "Progressing"]);
    expect(halted.status?.counts).toMatchObject({ staged: 40, failed: 20, pending: 0, progressing: 0 });
    // no wave skipped, none started before the one before it had settled
    const waves = halted.status!.waves!;
    for (let i = 1; i < waves.length; i++) expect(Date.parse(waves[i].startedAt!)).toBeGreaterThanOrEqual(Date.parse(waves[i - 1].settledAt!));

    const during = await listPolicies();
    for (const p of during) {
      expect(p.status?.rollouts, p.metadata.name).toEqual(["vmx"]);
      if (p.spec && (p.spec as { host: string }).host === hosts.rome.hostId) {
        expect(cond(p, "Audited")?.status, p.metadata.name).toBe("False");
        expect(p.status?.findings?.flatMap((f) => f.features)).toContain("vmx");
      } else {
        expect(p.status?.addedFeatures, p.metadata.name).toContain("vmx");
        expect(ready(p), p.metadata.name).toBe(true);
      }
    }
    // each Intel policy got its layered policy once (absent domains: staged); the AMD host was sent nothing new
    expect((await setResults(hosts.icelake, "staged")) - stagedBefore.ice).toBe(PER_INTEL_HOST);
    expect((await setResults(hosts.rome, "staged")) - stagedBefore.rome).toBe(0);
    const [newLeader] = await leaders();
    expect(metricValue(await newLeader.metrics(), "cpuid_rollout_halted", { rollout: "vmx" })).toBe(1);
    const events = JSON.parse(await kubectlOk(["get", "events.events.k8s.io", "-n", "default", "-o", "json"])).items as { regarding: { name: string; kind: string }; reason: string; note: string }[];
    const rolloutEvents = events.filter((e) => e.regarding.kind === "CpuidRollout" && e.regarding.name === "vmx");
    expect(rolloutEvents.filter((e) => e.reason === "Halted")).toHaveLength(1);

    // rollback: wave by wave in reverse, every policy back to exactly what its spec alone gives
    await kubectlOk(["patch", "crollout", "vmx", "--type", "merge", "-p", JSON.stringify({ spec: { rollback: true } })]);
    await eventually("rolled back", async () => expect(cond(await getRollout(), "RolledBack")?.status).toBe("True"), 120_000, 250);
    expect((await getRollout()).status?.waves?.map((w) => w.phase)).toEqual(["RolledBack", "RolledBack", "RolledBack", "RolledBack"]);
    await eventually("every policy back and Ready", async () => {
      const after = await listPolicies();
      expect(after.filter(ready)).toHaveLength(TOTAL);
      for (const p of after) {
        expect(p.status?.rollouts, p.metadata.name).toBeUndefined();
        expect(p.status?.policyHash, p.metadata.name).toBe(before.get(p.metadata.name!)?.hash);
      }
    });
    // the specs were never written
    for (const p of await listPolicies()) expect(p.metadata.generation, p.metadata.name).toBe(before.get(p.metadata.name!)?.generation);

    // deleting a rolled-back rollout: its finalizer goes, and so does it
    await kubectlOk(["delete", "crollout", "vmx", "--timeout=30s"]);
  });

  it("refuses bad input at apply: an unknown feature, a feature both enabled and disabled, waves that do not end at 100", async () => {
    const apply = async (spec: object) => {
      const r = await kubectlOk(["apply", "-f", "-"], { stdin: JSON.stringify({ apiVersion: "cpuidfleet.io/v1alpha1", kind: "CpuidRollout", metadata: { name: "bad" }, spec }) }).catch((e: Error) => e.message);
      return r;
    };
    expect(await apply({ enable: ["no-such-feature"] })).toContain("Unsupported value");
    expect(await apply({ enable: ["vmx"], disable: ["vmx"] })).toContain("a feature may not be both enabled and disabled");
    expect(await apply({ enable: ["vmx"], strategy: { waves: [10, 50] } })).toContain("the last must reach 100");
  });
});
