// `cpuidctl fleet report -o html` on the real control plane (sim agents, the
// controller, DomainCpuidPolicies, a CpuidPool), opened in headless Chromium
// (Debian's `chromium`): the page renders without script errors, its filter
// script runs, a screenshot is taken, and its counts and the pool's level and
// limiting hosts equal the cluster's.

import { spawnSync } from "node:child_process";
import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LEASE_NAMESPACE, type ControllerProcess } from "../../devenv/daemons/controller.ts";
import type { CpuidPoolObject } from "../../shared/api/v1alpha1/cpuid-pool.ts";
import type { DomainCpuidPolicyObject } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { REPO_ROOT } from "../../devenv/repo-root.ts";
import { planeInfo } from "../harness/context.ts";
import { HASWELL, SAPPHIRE_RAPIDS, applyDomainPolicy, condition, ensureNamespace, eventually, kubectlOk, startController, startSimHost, waitForDomainPolicy, type SimHost } from "./fleet.ts";

const NAMESPACE = "fleet-report";
const POOL = "fleet-report";
const HOSTS = ["fr-haswell-1", "fr-haswell-2", "fr-spr"];
const getPool = async (): Promise<CpuidPoolObject> => JSON.parse(await kubectlOk(["get", "cpool", POOL, "-o", "json"])) as CpuidPoolObject;
const CHROMIUM = ["chromium", "chromium-browser"].find((name) => spawnSync(name, ["--version"]).status === 0);
if (!CHROMIUM) console.warn("fleet-report.test.ts skipped: no chromium on PATH (Debian: apt-get install -y chromium)");

function chromium(args: string[]): { stdout: string; stderr: string } {
  const r = spawnSync(CHROMIUM!, ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0", ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  return { stdout: r.stdout, stderr: r.stderr };
}

/** `bin/cpuidctl <args>`, as users run it, with the plane's NATS */
function cpuidctl(args: string[]): string {
  const info = planeInfo();
  const r = spawnSync(join(REPO_ROOT, "bin", "cpuidctl"), args, {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, NATS_URL: info.natsUrl, CPUID_FLEET_CREDS_DIR: info.credsDir },
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

/** the data-count of the element with this id, in a DOM Chromium dumped */
function count(dom: string, id: string): number {
  const m = new RegExp(`id="${id}" data-count="(\\d+)"`).exec(dom);
  expect(m, id).not.toBeNull();
  return Number(m![1]);
}

describe.skipIf(!CHROMIUM)("cpuidctl fleet report", () => {
  const hosts: SimHost[] = [];
  let controller: ControllerProcess;
  let page: string;
  const dir = mkdtempSync(join(tmpdir(), "fleet-report-"));

  beforeAll(async () => {
    const labels = ["--labels", "fleet-report=yes"];
    hosts.push(await startSimHost(HOSTS[0], HASWELL, undefined, labels), await startSimHost(HOSTS[1], HASWELL, undefined, labels), await startSimHost(HOSTS[2], SAPPHIRE_RAPIDS, undefined, labels));
    await ensureNamespace(LEASE_NAMESPACE);
    controller = await startController("fleet-report");
    await ensureNamespace(NAMESPACE);
    await applyDomainPolicy("ok", NAMESPACE, { host: "fr-spr", domain: "vm-1", guestType: "hvm", baseline: "default", enable: ["avx512f"] });
    await applyDomainPolicy("no-avx512", NAMESPACE, { host: "fr-haswell-1", domain: "vm-2", guestType: "hvm", baseline: "default", enable: ["avx512f"] });
    const settled = (o: DomainCpuidPolicyObject) => condition(o, "Ready")?.reason !== undefined;
    await waitForDomainPolicy("ok", NAMESPACE, "settled", settled);
    await waitForDomainPolicy("no-avx512", NAMESPACE, "settled", settled);
    // Automatic: the level follows the members whatever order the controller labels them in
    await kubectlOk(["apply", "-f", "-"], {
      stdin: JSON.stringify({
        apiVersion: "cpuidfleet.io/v1alpha1",
        kind: "CpuidPool",
        metadata: { name: POOL },
        spec: { hostSelector: { matchLabels: { "fleet-report": "yes", "cpuidfleet.io/vendor": "intel" } }, guestType: "hvm", levelPolicy: "Automatic" },
      }),
    });
    await eventually("pool levelled over its three hosts", async () => expect((await getPool()).status?.members).toEqual(HOSTS));
    page = join(dir, "fleet.html");
    writeFileSync(page, cpuidctl(["fleet", "report", "-o", "html", "--kubeconfig", planeInfo().kubeconfig]));
  }, 120_000);

  afterAll(async () => {
    await controller?.stop();
    for (const h of hosts) await h.agent.stop();
  });

  it("renders in headless Chromium without script errors, with the cluster's counts", async () => {
    const { stdout: dom, stderr } = chromium(["--dump-dom", pathToFileURL(page).href]);
    expect(stderr).not.toMatch(/Uncaught|CONSOLE.*Error/);
    const policies = (JSON.parse(await kubectlOk(["get", "dcp", "-A", "-o", "json"])) as { items: DomainCpuidPolicyObject[] }).items;
    expect(count(dom, "policy-count")).toBe(policies.length);
    const byReason = new Map<string, number>();
    for (const p of policies) {
      const reason = condition(p, "Ready")?.reason ?? "Unknown";
      byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
    }
    for (const [reason, n] of byReason) expect(new RegExp(`data-state="${reason}"( open="")?><summary>${reason}: <span data-count="${n}">`).test(dom), `${reason}: ${n}`).toBe(true);
    const pools = (JSON.parse(await kubectlOk(["get", "cpool", "-o", "json"])) as { items: unknown[] }).items;
    expect(count(dom, "pool-count")).toBe(pools.length);
    const bucket = JSON.parse(cpuidctl(["hosts", "list", "-o", "json"])) as { invalid?: string }[];
    expect(count(dom, "host-count")).toBe(bucket.filter((h) => !h.invalid).length);
    expect(dom).toContain("avx512f (CPUID 0x00000007:0.ebx[16]) is requested but the max policy does not offer it");
  });

  it("shows the pool's members, level and limiting hosts, identical hosts on one line", async () => {
    const { stdout: dom } = chromium(["--dump-dom", pathToFileURL(page).href]);
    const { status } = await getPool();
    const row = new RegExp(`<tr class="pool" data-pool="${POOL}"[^]*?</tr>`).exec(dom)?.[0] ?? "";
    expect(row).toContain(`<span class="pool-members" data-count="3">3</span> host(s): ${HOSTS.join(", ")}`);
    expect(row).toContain(`<span data-count="${status!.level!.features.length}">${status!.level!.features.length}</span> features, hash <code title="${status!.level!.hash}">`);
    const haswells = status!.limitingHosts!.filter((l) => l.host.startsWith("fr-haswell"));
    expect(haswells.map((l) => l.host)).toEqual(["fr-haswell-1", "fr-haswell-2"]);
    expect(haswells[0].removes.length).toBeGreaterThan(0);
    const removes = haswells[0].removes;
    expect(row).toContain(`<li>fr-haswell-1, fr-haswell-2 (2 hosts): removes ${removes.length}: ${removes.slice(0, 12).join(", ")}`);
    if (removes.length > 12) expect(row).toContain(`title="${removes.join(", ")}">… and ${removes.length - 12} more</span></li>`);
  });

  it("puts identical hosts in one column and shows features hidden by Xen", () => {
    const { stdout: dom } = chromium(["--dump-dom", pathToFileURL(page).href]);
    const columns = [...dom.matchAll(/<th class="group"[^>]*data-hosts="([^"]*)"/g)].map(([, names]) => names.split(" "));
    expect(columns.find((c) => c.includes("fr-haswell-1"))).toEqual(expect.arrayContaining(["fr-haswell-1", "fr-haswell-2"]));
    expect(columns.find((c) => c.includes("fr-spr"))).not.toContain("fr-haswell-1");
    expect(count(dom, "group-count")).toBe(columns.length);
    expect(dom).toMatch(/<td class="hidden" data-col="\d+" title="[^"]+ the CPU has it, but Xen does not offer it to hvm guests/);
  });

  it("filters by feature from the URL fragment", () => {
    const { stdout: dom } = chromium(["--dump-dom", `${pathToFileURL(page).href}#avx512f`]);
    const rows = [...dom.matchAll(/<tr class="feature" data-feature="([^"]+)"( hidden="")?/g)];
    expect(rows.filter(([, , hidden]) => !hidden).map(([, f]) => f).every((f) => f.includes("avx512f"))).toBe(true);
    expect(rows.some(([, f, hidden]) => f === "sse2" && hidden)).toBe(true);
  });

  it("takes a screenshot", () => {
    const shot = join(dir, "fleet.png");
    chromium([`--screenshot=${shot}`, "--window-size=1600,1200", pathToFileURL(page).href]);
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    console.log(`fleet report screenshot: ${shot}`);
  });
});
