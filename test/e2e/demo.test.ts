// `npm run demo -- --detach` as a user runs it (its own control plane,
// controller and agent processes, kubectl apply of examples/ and then of
// examples/pools/): the summary shows every example settled as its file says,
// the Intel and AMD pools levelled over their hosts with their limiting hosts
// and where each domain could move, the fleet report written with the
// fleet's counts and pools, the env file it writes works with kubectl, and
// `--stop` leaves no process behind. How long it takes is measured in
// bench/demo.ts.

import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CpuidPoolObject } from "../../shared/api/v1alpha1/cpuid-pool.ts";
import type { CpuidRolloutObject } from "../../shared/api/v1alpha1/cpuid-rollout.ts";
import type { DomainCpuidPolicyObject } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { shortPolicyHash } from "../../shared/policy/canonical.ts";
import { eventually } from "../harness/eventually.ts";
import { planeLayout } from "../../devenv/plane/layout.ts";
import { readPlaneState } from "../../devenv/plane/plane-state.ts";
import { isProcessAlive } from "../../devenv/toolchain/process-liveness.ts";
import { demoPaths } from "../../scripts/demo/paths.ts";
import type { FleetRecord } from "../../scripts/demo/run.ts";
import { REPO_ROOT } from "../../devenv/repo-root.ts";

const run = promisify(execFile);
const NODE = join(REPO_ROOT, "node_modules", ".bin", "node");
const DEMO = join(REPO_ROOT, "scripts", "demo.ts");

/** AUDITED and APPLIED columns of the summary, as examples/README.md promises them. */
const EXPECTED: Record<string, [string, string]> = {
  "haswell-analytics-1": ["False", "not sent"],
  "haswell-db-1": ["True", "applied"],
  "haswell-web-1": ["True", "staged"],
  "skylake-app-1": ["True", "applied"],
  "icelake-ci-1": ["True", "applied"],
  "sapphirerapids-ml-1": ["True", "applied"],
  "sapphirerapids-pv-1": ["True", "staged"],
  "rome-web-2": ["True", "staged"],
  "genoa-db-2": ["True", "applied"],
};

const root = mkdtempSync(join(tmpdir(), "cpuid-fleet-demo-e2e-"));
const paths = demoPaths(root);
let output = "";
let record: FleetRecord;
let planePids: number[] = [];

beforeAll(async () => {
  const r = await run(NODE, [DEMO, "--detach", "--dir", root], { cwd: REPO_ROOT, timeout: 240_000 });
  output = r.stdout;
  record = JSON.parse(readFileSync(paths.fleetFile, "utf8")) as FleetRecord;
  planePids = Object.values(readPlaneState(planeLayout(record.planeDir).stateFile).pids);
}, 300_000);

afterAll(async () => {
  await run(NODE, [DEMO, "--stop", "--dir", root], { cwd: REPO_ROOT, timeout: 60_000 });
  rmSync(root, { recursive: true, force: true });
});

/** the members of each demo pool: the demo hosts of its vendor */
const POOL_MEMBERS: Record<string, string[]> = {
  intel: ["host-haswell", "host-icelake", "host-sapphirerapids", "host-skylake"],
  amd: ["host-genoa", "host-rome"],
};

function summaryRows(text: string, from: string, to: string): Map<string, string[]> {
  const section = text.slice(text.indexOf(from), text.indexOf(to));
  // table rows: cells apart by two spaces or more (notes under a table are prose)
  const rows = section.split("\n").slice(2).filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().split(/\s{2,}/)).filter((cells) => cells.length >= 3);
  return new Map(rows.map((cells) => [cells[0], cells]));
}

async function kubectlWithEnv(args: string): Promise<string> {
  // what the summary tells the user: source the env file, then kubectl
  const r = await run("sh", ["-c", `. "$1" && kubectl ${args}`, "sh", paths.envFile]);
  return r.stdout;
}

describe("npm run demo -- --detach", () => {
  it("prints a settled summary", () => {
    expect(output).toContain("every policy settled");
    const rows = summaryRows(output, "Domain policies", "Pools (");
    expect([...rows.keys()].sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const [name, [audited, applied]] of Object.entries(EXPECTED)) {
      const cells = rows.get(name)!;
      expect({ name, audited: cells[4], applied: cells[5] }).toEqual({ name, audited, applied });
    }
    expect(output).toMatch(/host-skylake\s.*no AVX \(GDS\)/);
    expect(output).toContain("npm run demo -- --stop");
  });

  it("prints each pool's level and limiting hosts, and where each domain could move", async () => {
    expect(output).toContain("every pool levelled");
    const pools = (JSON.parse(await kubectlWithEnv("get cpool -o json")) as { items: CpuidPoolObject[] }).items;
    expect(Object.fromEntries(pools.map((p) => [p.metadata.name, p.status?.members]))).toEqual(POOL_MEMBERS);
    const poolRows = summaryRows(output, "Pools (", "Where each domain");
    for (const p of pools) {
      const { level, limitingHosts } = p.status!;
      expect(poolRows.get(p.metadata.name!)).toEqual([p.metadata.name, "hvm", String(POOL_MEMBERS[p.metadata.name!].length), `${level!.features.length} features`, shortPolicyHash(level!.hash)]);
      expect(limitingHosts!.length).toBeGreaterThan(0);
      for (const l of limitingHosts!) expect(output).toContain(`    ${l.host} limits it, removes ${l.removes.length}: ${l.removes.slice(0, 3).join(", ")}`);
    }
    const moves = summaryRows(output, "Where each domain", "fleet report written");
    const policies = (JSON.parse(await kubectlWithEnv("get dcp -A -o json")) as { items: DomainCpuidPolicyObject[] }).items;
    expect([...moves.keys()].sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const p of policies) {
      const { count, hosts } = p.status!.acceptingHosts!;
      const [pool, members] = Object.entries(POOL_MEMBERS).find(([, m]) => m.includes(p.status!.host!))!;
      const row = moves.get(p.metadata.name!)!;
      expect(row.slice(2)).toEqual([`${pool}: ${members.filter((m) => hosts.includes(m)).length} of ${members.length}`, count === 0 ? "none" : `${count}: ${hosts.join(", ")}`]);
    }
    // a default HVM policy on Haswell needs AVX, which the GDS-affected Skylake and Ice Lake do not offer
    expect(policies.find((p) => p.metadata.name === "haswell-db-1")!.status!.acceptingHosts!.hosts).not.toContain("host-skylake");
  });

  it("runs the example rollouts: itsc over the AMD pool's policies, wave by wave, and one whose targets select nothing", async () => {
    expect(output).toContain("every rollout done");
    const rollouts = (JSON.parse(await kubectlWithEnv("get crollout -o json")) as { items: CpuidRolloutObject[] }).items;
    const itsc = rollouts.find((r) => r.metadata.name === "amd-itsc")!;
    expect(itsc.status?.conditions?.find((c) => c.type === "Complete")?.status).toBe("True");
    expect(itsc.status?.waves?.map((w) => w.policies)).toEqual([["default/genoa-db-2"], ["default/rome-web-2"]]);
    expect(itsc.status!.counts!.applied + itsc.status!.counts!.staged).toBe(2);
    expect(output).toContain("  amd-itsc (+itsc): Complete: all 2 waves settled");
    expect(output).toMatch(/ {2}enable-movdiri \(\+movdiri \+movdir64b\): NoTargets/);
    const genoa = (JSON.parse(await kubectlWithEnv("get dcp genoa-db-2 -n default -o json")) as DomainCpuidPolicyObject).status!;
    expect(genoa.rollouts).toEqual(["amd-itsc"]);
    expect(genoa.addedFeatures).toContain("itsc");
  });

  it("writes the fleet report with the fleet's counts and pools", () => {
    expect(output).toMatch(/fleet report written: \S*fleet-report\.html/);
    const page = readFileSync(paths.reportFile, "utf8");
    expect(page).toContain('id="host-count" data-count="6"');
    expect(page).toContain('id="pool-count" data-count="2"');
    expect(page).toContain('id="rollout-count" data-count="2"');
    expect(page).toContain(`id="policy-count" data-count="${Object.keys(EXPECTED).length}"`);
    for (const [pool, members] of Object.entries(POOL_MEMBERS)) {
      expect(page).toMatch(new RegExp(`data-pool="${pool}"[^]*?class="pool-members" data-count="${members.length}">${members.length}</span> host\\(s\\): ${members.join(", ")}<`));
    }
  });

  it("leaves an env file that points kubectl at the fleet", async () => {
    const list = JSON.parse(await kubectlWithEnv("get dcp -A -o json")) as { items: DomainCpuidPolicyObject[] };
    const failed = list.items.find((p) => p.metadata.name === "haswell-analytics-1")!;
    expect(failed.status?.conditions?.find((c) => c.type === "Audited")).toMatchObject({ status: "False", reason: "AuditFailed" });
    expect(failed.status?.findings?.map((f) => f.features)).toEqual([["avx512f"]]);
    const staged = list.items.find((p) => p.metadata.name === "haswell-web-1")!;
    expect(staged.status).toMatchObject({ activation: "Staged", domainState: "running" });
    const hosts = (await kubectlWithEnv("get hcp -o name")).trim().split("\n");
    expect(hosts).toHaveLength(6);
    // the controller counts the failure right after writing the status the summary read
    await eventually("cpuid_audit_failures_total{reason=\"AuditFailed\"} 1", async () => {
      const metrics = await (await fetch(`${record.controllerMetricsUrl}/metrics`)).text();
      expect(metrics).toMatch(/^cpuid_audit_failures_total\{reason="AuditFailed"\} 1$/m);
    }, 5_000);
  });

  it("--stop stops the controller, the agents and the control plane", async () => {
    const pids = [...Object.values(record.pids), ...planePids];
    expect(pids.length).toBe(7 + 3);
    expect(pids.every(isProcessAlive)).toBe(true);
    const r = await run(NODE, [DEMO, "--stop", "--dir", root], { cwd: REPO_ROOT, timeout: 60_000 });
    expect(r.stdout).toContain("stopped");
    expect(pids.filter(isProcessAlive)).toEqual([]);
    // controller first, while the API is there: it releases its Lease
    const log = readFileSync(paths.logFile, "utf8");
    expect(log).toMatch(/SIGTERM: stopping the controller, then the agents, then the control plane…\nstopped in \d+\.\d s; nothing left running\./);
    expect(existsSync(paths.envFile)).toBe(false);
    expect(existsSync(paths.reportFile)).toBe(true);
  });
});
