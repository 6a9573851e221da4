// `cpuidctl fleet report -o html` over a large simulated fleet, and the page
// in headless Chromium (Debian's `chromium`). The real control plane, H
// simulated hosts (default 1,000; real agents on the demo's six real CPU
// profiles, many per process), the controller, the demo's two CpuidPools
// (examples/pools/: intel, amd) and one DomainCpuidPolicy per host (on the
// Haswell hosts it asks for AVX-512 and fails its audit). The pools are
// created with levelPolicy Automatic, as in the recorded run (see
// BENCHMARKS.md: Pinned pools of this size were fixed after it).
//
// Measures the time `bin/cpuidctl fleet report -o html` takes (the whole
// command, as a user runs it) and the page's size, then Chromium's time to
// load the page and to take a screenshot; checks that the page's counts equal
// the cluster's and that the filter narrows it to one host's column.
//
//   node_modules/.bin/node bench/fleet-report.ts [--hosts 1000] [--runs 3] [--screenshot docs/fleet-report-1000.png]

import { execFile, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs, promisify } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { CustomObjectsApi } from "@kubernetes/client-node";
import { parse } from "yaml";
import { loadKubeConfig } from "../controller/kube/kube-config.ts";
import { startAgentPools } from "../devenv/daemons/agent-pool.ts";
import { ControllerProcess, LEASE_NAMESPACE } from "../devenv/daemons/controller.ts";
import { ControlPlane } from "../devenv/plane/control-plane.ts";
import { REPO_ROOT } from "../devenv/repo-root.ts";
import { ensureControlPlaneBinaries } from "../devenv/toolchain/ensure.ts";
import type { CpuidPoolObject } from "../shared/api/v1alpha1/cpuid-pool.ts";
import { API_GROUP, API_VERSION, POOL_PLURAL } from "../shared/api/v1alpha1/names.ts";
import { VENDOR_LABEL } from "../shared/labels/host-labels.ts";
import { DEMO_HOSTS, POOLS_DIR, profilePath } from "../scripts/demo/hosts.ts";
import { DemoKube } from "../scripts/demo/kube.ts";
import { isLevelled } from "../scripts/demo/pools.ts";
import { CPUIDCTL } from "../scripts/demo/report.ts";
import { scratchDir, waitForIdleController, waitForLeader } from "./fleet/fleet-setup.ts";
import { type BenchPolicy, forEachBounded, PolicyClient } from "./fleet/policies.ts";
import { percentile } from "./fleet/process-stats.ts";
import { machine } from "./support/machine.ts";

const NAMESPACE = "bench-report";
const SETTLE_TIMEOUT_MS = 10 * 60_000;
const run = promisify(execFile);

const { values } = parseArgs({
  options: {
    hosts: { type: "string", default: "1000" },
    runs: { type: "string", default: "3" },
    screenshot: { type: "string", default: join(REPO_ROOT, "docs", "fleet-report-1000.png") },
    "window-size": { type: "string", default: "1280,1000" },
  },
});
const hostCount = Number(values.hosts);
const runs = Number(values.runs);
if (!Number.isInteger(hostCount) || hostCount < DEMO_HOSTS.length) throw new Error(`--hosts needs an integer >= ${DEMO_HOSTS.length}`);
if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs needs a positive integer");

const CHROMIUM = ["chromium", "chromium-browser"].find((name) => spawnSync(name, ["--version"]).status === 0);
if (!CHROMIUM) throw new Error("no chromium on PATH (Debian: apt-get install -y chromium)");

const t0 = performance.now();
const say = (line: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${line}`);
const hostId = (i: number) => `bench-${String(i).padStart(4, "0")}`;
const profileOf = (i: number) => DEMO_HOSTS[i % DEMO_HOSTS.length];

/** One policy per host on its paused domain vm-0; the Haswell hosts' ask for AVX-512, which Haswell lacks. */
function benchPolicies(): BenchPolicy[] {
  return Array.from({ length: hostCount }, (_, i) => ({
    name: `${hostId(i)}-vm-0`,
    host: hostId(i),
    domain: "vm-0",
    ...(profileOf(i).id === "host-haswell" ? { enable: ["avx512f"] } : {}),
  }));
}

function chromium(args: string[]): { stdout: string; seconds: number } {
  const started = performance.now();
  const r = spawnSync(CHROMIUM!, ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", ...args], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, timeout: 300_000 });
  if (r.status !== 0) throw new Error(`chromium ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return { stdout: r.stdout, seconds: (performance.now() - started) / 1000 };
}

function domCount(dom: string, id: string): number {
  return Number(new RegExp(`id="${id}" data-count="(\\d+)"`).exec(dom)?.[1] ?? NaN);
}

async function waitUntil(what: string, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`${what}: not after ${SETTLE_TIMEOUT_MS / 60_000} min`);
    await sleep(1_000);
  }
}

/** examples/pools/*.yaml, levelled Automatic (see above) */
async function createPools(kubeconfig: string): Promise<string[]> {
  const api = loadKubeConfig(kubeconfig).makeApiClient(CustomObjectsApi);
  const pools = readdirSync(POOLS_DIR).filter((f) => f.endsWith(".yaml")).map((f) => parse(readFileSync(join(POOLS_DIR, f), "utf8")) as CpuidPoolObject);
  for (const body of pools) {
    body.spec.levelPolicy = "Automatic";
    await api.createClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural: POOL_PLURAL, body });
  }
  return pools.map((p) => p.metadata.name ?? "");
}

async function main(): Promise<void> {
  console.log(`fleet report benchmark: ${hostCount} simulated hosts, ${hostCount} DomainCpuidPolicies, 2 CpuidPools; ${machine()}, ${spawnSync(CHROMIUM!, ["--version"], { encoding: "utf8" }).stdout.trim()}`);
  const binaries = await ensureControlPlaneBinaries();
  const ids = Array.from({ length: hostCount }, (_, i) => hostId(i));
  const plane = await ControlPlane.start({ hosts: ids, binaries, keep: false });
  const info = plane.info();
  const work = scratchDir("cpuid-fleet-bench-report-");
  let controller: ControllerProcess | undefined;
  let agents: Awaited<ReturnType<typeof startAgentPools>> | undefined;
  try {
    agents = await startAgentPools({
      natsUrl: info.natsUrl,
      credsDir: info.credsDir,
      stateRoot: join(work, "agents"),
      hosts: ids.map((id, i) => ({ hostId: id, profile: profilePath(profileOf(i).id) })),
      domainsPerHost: 1,
      domainPrefix: "vm-",
      heartbeatSeconds: 15,
      startConcurrency: 8,
      niceness: 10,
      pools: 4,
      dir: work,
    });
    say(`${hostCount} agents ready after ${agents.startupSeconds.toFixed(1)} s`);
    const kube = new DemoKube(info.kubeconfig);
    await Promise.all([kube.ensureNamespace(LEASE_NAMESPACE), kube.ensureNamespace(NAMESPACE)]);
    controller = await ControllerProcess.start({ plane: info, logFile: join(work, "controller.log"), args: ["--workers=32", "--log-level=warn"] });
    await waitForLeader(controller);
    await waitForIdleController(controller.metricsUrl, hostCount);
    await waitUntil("hosts labelled", async () => (await kube.hostPolicies()).filter((h) => h.metadata.labels?.[VENDOR_LABEL]).length === hostCount);
    say(`all ${hostCount} hosts mirrored and labelled`);

    const poolNames = await createPools(info.kubeconfig);
    const policies = benchPolicies();
    const client = new PolicyClient(loadKubeConfig(info.kubeconfig), NAMESPACE);
    await forEachBounded(policies, 32, (p) => client.create(p));
    await waitUntil("pools levelled and policies settled", async () => {
      const [hosts, pools, dcps] = await Promise.all([kube.hostPolicies(), kube.pools(), kube.domainPolicies()]);
      const settled = dcps.filter((p) => p.status?.observedGeneration === p.metadata.generation && p.status?.conditions?.some((c) => c.type === "Ready" && c.reason));
      return pools.length === poolNames.length && pools.every((p) => isLevelled(p, hosts)) && settled.length === policies.length;
    });
    const [pools, dcps] = await Promise.all([kube.pools(), kube.domainPolicies()]);
    const byReason = new Map<string, number>();
    for (const p of dcps) {
      const reason = p.status?.conditions?.find((c) => c.type === "Ready")?.reason ?? "Unknown";
      byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
    }
    say(`pools ${pools.map((p) => `${p.metadata.name} (${p.status?.members?.length} members, ${p.status?.level?.features.length} features)`).join(", ")}; policies ${[...byReason].map(([r, n]) => `${r} ${n}`).join(", ")}`);

    const page = join(work, "fleet.html");
    const env = { ...process.env, KUBECONFIG: info.kubeconfig, NATS_URL: info.natsUrl, CPUID_FLEET_CREDS_DIR: info.credsDir };
    const seconds: number[] = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const { stdout } = await run(CPUIDCTL, ["fleet", "report", "-o", "html"], { env, maxBuffer: 256 * 1024 * 1024 });
      seconds.push((performance.now() - started) / 1000);
      writeFileSync(page, stdout);
      say(`cpuidctl fleet report run ${i + 1}: ${seconds[i].toFixed(2)} s, ${(statSync(page).size / 1024).toFixed(0)} KiB`);
    }

    const url = pathToFileURL(page).href;
    const dump = chromium(["--dump-dom", url]);
    const counts = {
      hosts: [domCount(dump.stdout, "host-count"), hostCount],
      "host groups": [domCount(dump.stdout, "group-count"), DEMO_HOSTS.length],
      pools: [domCount(dump.stdout, "pool-count"), pools.length],
      "domain policies": [domCount(dump.stdout, "policy-count"), dcps.length],
      ...Object.fromEntries(pools.map((p) => [`pool ${p.metadata.name} members`, [Number(new RegExp(`data-pool="${p.metadata.name}"[^]*?class="pool-members" data-count="(\\d+)"`).exec(dump.stdout)?.[1]), p.status?.members?.length ?? 0]])),
      ...Object.fromEntries([...byReason].map(([reason, n]) => [`${reason} policies`, [Number(new RegExp(`data-state="${reason}"[^>]*><summary>${reason}: <span data-count="(\\d+)"`).exec(dump.stdout)?.[1]), n]])),
    };
    const filtered = chromium(["--dump-dom", `${url}#${hostId(7)}`]).stdout;
    const columnsShown = [...filtered.matchAll(/<th class="group"([^>]*)>/g)].filter(([, attrs]) => !attrs.includes("hidden")).length;
    const screenshot = resolve(values.screenshot);
    const shot = chromium([`--screenshot=${screenshot}`, `--window-size=${values["window-size"]}`, url]);

    const wrong = Object.entries(counts).filter(([, [page, truth]]) => page !== truth);
    const median = percentile([...seconds].sort((a, b) => a - b), 50);
    console.log(`
results (${hostCount} hosts, ${dcps.length} policies, ${pools.length} pools)
  cpuidctl fleet report -o html  median ${median.toFixed(2)} s over ${runs} runs (${seconds.map((s) => s.toFixed(2)).join(", ")} s); page ${(statSync(page).size / 1024).toFixed(0)} KiB
  chromium --dump-dom            ${dump.seconds.toFixed(2)} s (start, load, run the script, print the DOM)
  chromium --screenshot          ${shot.seconds.toFixed(2)} s, ${values["window-size"]}: ${screenshot} (${(statSync(screenshot).size / 1024).toFixed(0)} KiB)
  page counts = cluster          ${wrong.length === 0 ? "yes" : `NO: ${wrong.map(([what, [p, t]]) => `${what} page ${p}, cluster ${t}`).join("; ")}`} (${Object.entries(counts).map(([what, [p]]) => `${what} ${p}`).join(", ")})
  filter #${hostId(7)}           ${columnsShown} of ${domCount(dump.stdout, "group-count")} host-group columns shown`);
    if (wrong.length > 0 || columnsShown !== 1) process.exitCode = 1;
  } finally {
    await controller?.stop();
    await agents?.stop();
    await plane.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
process.exit(process.exitCode ?? 0);
