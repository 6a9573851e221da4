// cpuidctl rollout plan|status|resume|undo end to end: kubectl, a controller
// and sim agents on the demo's Sapphire Rapids and Ice Lake profiles. The
// example rollout enables movdiri/movdir64b, which only Sapphire Rapids
// offers: the plan shows the waves and names the Ice Lake policy that would
// fail; applied, the rollout halts at it, status says why, resume carries on
// past it, undo takes the change off again.

import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControllerProcess, LEASE_NAMESPACE } from "../../devenv/daemons/controller.ts";
import { REPO_ROOT } from "../../devenv/repo-root.ts";
import type { CpuidRolloutObject } from "../../shared/api/v1alpha1/cpuid-rollout.ts";
import { serviceSeedFile } from "../../shared/nats/credentials-layout.ts";
import { planeInfo } from "../harness/context.ts";
import { cpuidctl } from "../support/cpuidctl.ts";
import { applyDomainPolicy, condition, createDomain, ensureNamespace, eventually, kubectlOk, profile, startController, startSimHost, waitForDomainPolicy, type SimHost } from "./fleet.ts";

const NS = "e2e-rollout-cli";
const EXAMPLE = join(REPO_ROOT, "examples", "rollouts", "enable-movdiri.yaml");
const hosts: SimHost[] = [];
let controller: ControllerProcess;
const dir = mkdtempSync(join(tmpdir(), "rollout-cli-"));

const cli = (...args: string[]) => {
  const info = planeInfo();
  return cpuidctl(...args, "--kubeconfig", info.kubeconfig, "--nats-url", info.natsUrl, "--nats-seed-file", serviceSeedFile(info.credsDir, "controller"));
};
/** the commands that only talk to Kubernetes */
const kubeCli = (...args: string[]) => cpuidctl(...args, "--kubeconfig", planeInfo().kubeconfig);
const rolloutFile = (name: string, spec: Record<string, unknown>) => {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ apiVersion: "cpuidfleet.io/v1alpha1", kind: "CpuidRollout", metadata: { name }, spec }));
  return file;
};
const getRollout = async (name: string): Promise<CpuidRolloutObject> => JSON.parse(await kubectlOk(["get", "crollout", name, "-o", "json"]));
const rolloutCondition = (r: CpuidRolloutObject, type: string) => r.status?.conditions?.find((c) => c.type === type);

beforeAll(async () => {
  await Promise.all([ensureNamespace(NS), ensureNamespace(LEASE_NAMESPACE)]);
  const [spr, icl] = await Promise.all([startSimHost("rcli-spr", profile("sapphirerapids")), startSimHost("rcli-icl", profile("icelake"))]);
  hosts.push(spr, icl);
  controller = await startController("rollout-cli-1");
  // sorted by name, the plan is a-spr, b-icl, c-spr: batchSize 1 makes three waves
  const policies: [string, SimHost][] = [
    ["a-spr", spr],
    ["b-icl", icl],
    ["c-spr", spr],
  ];
  for (const [name, host] of policies) {
    await createDomain(host, `vm-${name}`, "created");
    await kubectlOk(["apply", "-f", "-"], {
      stdin: JSON.stringify({
        apiVersion: "cpuidfleet.io/v1alpha1",
        kind: "DomainCpuidPolicy",
        metadata: { name, namespace: NS, labels: { "direct-stores": "wanted" } },
        spec: { host: host.hostId, domain: `vm-${name}`, guestType: "hvm" },
      }),
    });
  }
  // a policy the selector leaves out
  await applyDomainPolicy("unlabelled", NS, { host: spr.hostId, domain: "vm-unlabelled", guestType: "hvm" });
  for (const [name] of policies) await waitForDomainPolicy(name, NS, "Ready", (o) => condition(o, "Ready")?.status === "True");
});

afterAll(async () => {
  await controller?.stop("SIGTERM");
  await Promise.all(hosts.map((h) => h.agent.stop()));
});

describe("cpuidctl rollout", () => {
  it("plan shows the example's waves and the policy that would fail now, and why", () => {
    const text = cli("rollout", "plan", "-f", EXAMPLE);
    expect(text.code, text.stderr).toBe(1);
    expect(text.stdout).toContain("CpuidRollout enable-movdiri: enable movdiri, movdir64b");
    expect(text.stdout).toContain(`wave 1: 1 policy: ${NS}/a-spr`);
    expect(text.stdout).toContain("would fail now: 1 of 3 policies");
    expect(text.stdout).toMatch(new RegExp(`${NS}/b-icl \\(host rcli-icl, wave 2\\): 2 findings: .*movdiri`));

    const json = cli("rollout", "plan", "-f", EXAMPLE, "-o", "json");
    expect(json.code).toBe(1);
    const w = JSON.parse(json.stdout);
    expect(w.waves).toEqual([[`${NS}/a-spr`], [`${NS}/b-icl`], [`${NS}/c-spr`]]);
    expect(w.verdicts.map((v: { policy: string; ok: boolean }) => [v.policy, v.ok])).toEqual([
      [`${NS}/a-spr`, true],
      [`${NS}/b-icl`, false],
      [`${NS}/c-spr`, true],
    ]);
    expect(w).toMatchObject({ ok: false, wouldFail: 1, tolerated: 0, haltsInWave: 2 });
    expect(w.verdicts[1].findings.flatMap((f: { features: string[] }) => f.features)).toEqual(expect.arrayContaining(["movdiri", "movdir64b"]));
  });

  it("plan of targets that select nothing says nothing would move; a bad file names its fields", () => {
    const empty = cli("rollout", "plan", "-f", rolloutFile("none", { enable: ["movdiri"], targets: { selector: { matchLabels: { "direct-stores": "nobody" } } } }));
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toContain("nothing would move");

    const unknown = cli("rollout", "plan", "-f", rolloutFile("unknown", { enable: ["movdiri", "not-a-feature"] }));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`CpuidRollout unknown: spec.enable.1: "not-a-feature" is not a feature name Xen knows`);
    const waves = cli("rollout", "plan", "-f", rolloutFile("waves", { enable: ["movdiri"], strategy: { waves: [10, 50] } }));
    expect(waves.code).toBe(2);
    expect(waves.stderr).toContain("CpuidRollout waves: spec.strategy.waves: the last wave must reach 100 (%)");
    const both = cli("rollout", "plan", "-f", rolloutFile("both", { enable: ["movdiri"], disable: ["movdiri"] }));
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("features both enabled and disabled: movdiri");
  });

  it("status shows the halt and its reason, resume carries on past it, undo rolls it back", async () => {
    await kubectlOk(["apply", "-f", EXAMPLE]);
    await eventually("halted at the Ice Lake policy", async () => expect(rolloutCondition(await getRollout("enable-movdiri"), "Halted")?.status).toBe("True"), 60_000);

    const halted = kubeCli("rollout", "status", "enable-movdiri");
    expect(halted.code, halted.stderr).toBe(1);
    expect(halted.stdout).toContain("wave 2/3 (Progressing)");
    expect(halted.stdout).toContain("policies: 1 applied, 0 staged, 1 failed, 0 progressing, 1 pending, 0 deleted");
    expect(halted.stdout).toMatch(new RegExp(`${NS}/b-icl \\(failed\\): audit failed \\(AuditFailed\\): .*movdiri`));
    expect(halted.stdout).toContain("cpuidctl rollout resume enable-movdiri");

    // a second rollout changing the same feature of the same policies would wait for this one
    const second = cli("rollout", "plan", "-f", rolloutFile("second", { enable: ["movdiri"], targets: { selector: { matchLabels: { "direct-stores": "wanted" } } } }), "-o", "json");
    expect(second.code).toBe(1);
    expect(JSON.parse(second.stdout).waitsFor).toEqual({ name: "enable-movdiri", features: ["movdiri"], policies: 3 });

    const resumed = kubeCli("rollout", "resume", "enable-movdiri");
    expect(resumed.code, resumed.stderr).toBe(0);
    expect((await getRollout("enable-movdiri")).metadata.annotations?.["cpuidfleet.io/resume"]).toMatch(/^\d{4}-\d\d-\d\dT/);
    await eventually("complete", async () => expect(rolloutCondition(await getRollout("enable-movdiri"), "Complete")?.status).toBe("True"), 60_000);
    const done = JSON.parse(kubeCli("rollout", "status", "enable-movdiri", "-o", "json").stdout);
    expect(done).toMatchObject({ wave: 3, waveCount: 3, halted: false, counts: { applied: 2, failed: 1, pending: 0 } });

    const undone = kubeCli("rollout", "undo", "enable-movdiri");
    expect(undone.code, undone.stderr).toBe(0);
    expect((await getRollout("enable-movdiri")).spec).toMatchObject({ rollback: true });
    await eventually("rolled back", async () => expect(rolloutCondition(await getRollout("enable-movdiri"), "RolledBack")?.status).toBe("True"), 60_000);
    const a = await waitForDomainPolicy("a-spr", NS, "back to its spec", (o) => !o.status?.rollouts && condition(o, "Ready")?.status === "True");
    expect(a.status?.featureset).toBeDefined();
    expect(kubeCli("rollout", "status", "enable-movdiri").stdout).toMatch(/RolledBack\s+True/);

    const missing = kubeCli("rollout", "status", "no-such-rollout");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("CpuidRollout no-such-rollout not found");
  });
});
