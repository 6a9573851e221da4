// Every probe publishes a HostPolicies through a real agent process; the
// operator CLI reads them back (hosts list/get) and drives sim domains; the
// xen backend stages through the stand-in toolstack. Also a host id that is
// not a plain subject token, end to end.

import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xlConfigPath } from "../../../agent/backends/xen.ts";
import { domainEventSubject } from "../../../shared/nats/subjects.ts";
import { deserialisePolicy } from "../../../shared/policy/serialise.ts";
import { DomainEvent } from "../../../shared/schemas/agent-messages.ts";
import { HostPolicies } from "../../../shared/schemas/host-policies.ts";
import { policyFromJson } from "../../../shared/policy/policy-json.ts";
import { attachPlane, connectNats, planeInfo } from "../../harness/context.ts";
import { FIXTURES_DIR } from "../../../devenv/fixtures.ts";
import { REPO_ROOT } from "../../../devenv/repo-root.ts";
import { StandInXenHost, XEN_CPUID, XENSTORE_WATCH, XL } from "../../support/stand-ins/xen-host.ts";
import { fixturePolicy, setRequest } from "../../unit/agent/support.ts";
import { eventually } from "../../harness/eventually.ts";
import type { AgentProcess } from "../../../devenv/daemons/agent.ts";
import { requestHost, startAgent as startAgentProcess } from "../../support/daemons.ts";

const run = promisify(execFile);
const agents: AgentProcess[] = [];
let controller: NatsConnection;

async function cpuidctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const info = planeInfo();
  const env = { ...process.env, NATS_URL: info.natsUrl, CPUID_FLEET_CREDS_DIR: info.credsDir };
  try {
    const r = await run(join(REPO_ROOT, "node_modules", ".bin", "node"), [join(REPO_ROOT, "cli", "cpuidctl.ts"), ...args], { env });
    return { code: 0, ...r };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

async function startAgent(hostId: string, args: string[], env: Record<string, string> = {}): Promise<AgentProcess> {
  const seedFile = await attachPlane().addNatsHost(hostId);
  const agent = await startAgentProcess({ hostId, natsUrl: planeInfo().natsUrl, seedFile, args, env });
  agents.push(agent);
  return agent;
}

async function hostsGet(hostId: string): Promise<HostPolicies> {
  const r = await cpuidctl("hosts", "get", hostId, "-o", "json");
  expect(r.code, r.stderr).toBe(0);
  return HostPolicies.parse(JSON.parse(r.stdout));
}

beforeAll(async () => {
  controller = await connectNats("controller");
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await controller?.close();
});

describe("probes", () => {
  it.skipIf(!existsSync("/dev/cpu/0/cpuid"))("linux: reads this machine's CPUID through /dev/cpu/0/cpuid", async () => {
    await startAgent("probe-linux", ["--probe", "linux"]);
    const hp = await hostsGet("probe-linux");
    const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
    expect(hp.fingerprint).toMatchObject({ probe: "linux", source: "/dev/cpu/0/cpuid" });
    expect(cpuinfo).toContain(hp.cpu.brand);
    expect(hp.policies.raw.features).toContain(/\bavx2\b/.test(cpuinfo) ? "avx2" : "sse2");
  });

  it("file: a CPUID dump, derived with Xen's rules", async () => {
    await startAgent("probe-dump", ["--probe", "file", "--probe-file", join(FIXTURES_DIR, "cpuid-dumps", "amd", "genoa-epyc-9124.txt")]);
    const hp = await hostsGet("probe-dump");
    expect(hp.cpu).toMatchObject({ vendor: "amd", family: 0x19, model: 0x11, brand: "AMD EPYC 9124 16-Core Processor" });
    expect(hp.tsc.scaling).toBe(true);
    expect(hp.policies.hvm_max.features).toContain("avx512f");
  });

  it("xen: Xen's reported policies and the xl info fingerprint; the xen backend stages into xl.cfg and announces the start xenstore signals", async () => {
    const xen = new StandInXenHost("xen-cpuid-p_xeon-e5-2430l-v2_ivybridge-en.txt", { xenVersion: "4.15.1", commandLine: "dom0_mem=2G cpuid=no-rdrand" });
    const hostId = "xen01.lab"; // not a plain subject token
    // polling far beyond the test's waits: only the xenstore watch can make the agent notice the start
    const xenArgs = ["--xen-cpuid", XEN_CPUID, "--xl", XL, "--xenstore-watch", XENSTORE_WATCH, "--xen-poll-interval", "600"];
    const agent = await startAgent(hostId, ["--probe", "xen", "--backend", "xen", ...xenArgs], xen.env);
    const hp = await hostsGet(hostId);
    expect(hp.fingerprint).toMatchObject({ probe: "xen", xenVersion: "4.15.1", cpuidCmdline: "no-rdrand" });
    expect(hp.cpu.brand).toMatch(/E5-2430L v2/);

    const p = fixturePolicy("hvm_default"); // Alder Lake's default is not within Ivy Bridge's max
    const body = JSON.parse(new TextDecoder().decode(setRequest("vm1", p, { hostId })));
    expect(await requestHost(controller, hostId, "set", body)).toMatchObject({ ok: true, result: "rejected" });

    const own = hp.policies.hvm_default;
    const ownBody = JSON.parse(new TextDecoder().decode(setRequest("vm1", fixturePolicy("hvm_default"), { hostId })));
    ownBody.policy = { leaves: own.leaves, msrs: own.msrs };
    ownBody.policyHash = hp.hashes.hvm_default;
    const staged = await requestHost(controller, hostId, "set", ownBody);
    expect(staged).toMatchObject({ ok: true, result: "staged", domainState: "absent", stagedHash: hp.hashes.hvm_default });
    expect(readFileSync(xlConfigPath(agent.stateDir, "vm1"), "utf8")).toMatch(/^cpuid = "host"$/m);

    const events = controller.subscribe(domainEventSubject(hostId), { max: 1 });
    xen.setDomains([{ name: "vm1", domid: 5, state: "running" }]);
    xen.setDomainPolicy(5, deserialisePolicy(policyFromJson({ leaves: own.leaves, msrs: own.msrs })));
    xen.fireXenstoreWatch("@introduceDomain");
    for await (const m of events) expect(DomainEvent.parse(m.json())).toMatchObject({ hostId, domain: "vm1", state: "running" });
    const info = await requestHost(controller, hostId, "get", { hostId, domain: "vm1" });
    expect(info.domain).toMatchObject({ state: "running", activeHash: hp.hashes.hvm_default });
    expect(info.domain.stagedHash).toBeUndefined();
  });
});

describe("continuous discovery", () => {
  it("re-publishes when a re-probe finds different policies, and serves health endpoints", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "probe-change-")), "host.txt");
    copyFileSync(join(FIXTURES_DIR, "xen-cpuid", "xen-cpuid-p_core-i5-12600k_alderlake.txt"), file);
    const agent = await startAgent("probe-change", ["--probe", "file", "--probe-file", file, "--reprobe-interval", "1"]);
    const before = await hostsGet("probe-change");
    expect((await fetch(`${agent.metricsUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${agent.metricsUrl}/readyz`)).status).toBe(200);
    copyFileSync(join(FIXTURES_DIR, "xen-cpuid", "xen-cpuid-p_xeon-e5-2430l-v2_ivybridge-en.txt"), file);
    const after = await eventually("re-published with the new policies", async () => {
      const hp = await hostsGet("probe-change");
      if (hp.fingerprint.digest === before.fingerprint.digest) throw new Error("digest unchanged");
      return hp;
    });
    expect(after.cpu.brand).toMatch(/E5-2430L v2/);
    expect(after.hashes.hvm_max).not.toBe(before.hashes.hvm_max);
  });
});

describe("cpuidctl", () => {
  it("hosts list shows every publishing host, and marks a host stale after three missed heartbeats, as the controller does", async () => {
    const silent = await startAgent("hosts-list-silent", ["--probe", "file", "--probe-file", join(FIXTURES_DIR, "cpuid-dumps", "amd", "genoa-epyc-9124.txt"), "--heartbeat-interval", "1"]);
    const fresh = await cpuidctl("hosts", "list");
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stdout).toMatch(/^HOST\s+VENDOR\s+MODEL\s+RAW\s+HOST\s+PV_MAX.*\sAGE\s+HEARD\s+STATUS$/m);
    expect(fresh.stdout).toMatch(/^probe-dump\s+amd\s+25\/17\/1 AMD EPYC 9124.*\sok$/m);
    expect(fresh.stdout).toMatch(/^hosts-list-silent\s+amd.*\sok$/m);
    expect(fresh.stdout).toMatch(/^xen01\.lab\s+intel/m);
    // alive past its entry's three intervals: its heartbeats vouch for it
    await new Promise((r) => setTimeout(r, 3500));
    const beating = JSON.parse((await cpuidctl("hosts", "list", "-o", "json")).stdout) as Array<{ host: string; stale: boolean; heardSecondsAgo: number }>;
    expect(beating.find((r) => r.host === "hosts-list-silent")).toMatchObject({ stale: false, heardSecondsAgo: expect.toBeOneOf([0, 1]) });
    await silent.stop();
    await new Promise((r) => setTimeout(r, 3500));
    const rows = JSON.parse((await cpuidctl("hosts", "list", "-o", "json")).stdout) as Array<{ host: string; stale: boolean }>;
    expect(rows.find((r) => r.host === "hosts-list-silent")?.stale).toBe(true);
    expect(rows.find((r) => r.host === "probe-dump")?.stale).toBe(false);
  });

  it("hosts get of an unknown host fails clearly", async () => {
    const r = await cpuidctl("hosts", "get", "nobody");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/host "nobody" has published nothing/);
  });

  it("sim commands drive a sim agent's domains", async () => {
    const agent = agents.find((a) => a.hostId === "probe-dump")!;
    const started = await cpuidctl("sim", "start", "web1", "--state-dir", agent.stateDir);
    expect(started.code, started.stderr).toBe(0);
    expect(JSON.parse(started.stdout)).toMatchObject({ domain: "web1", state: "running", guestType: "hvm" });
    const again = await cpuidctl("sim", "create", "web1", "--state-dir", agent.stateDir);
    expect(again).toMatchObject({ code: 2, stderr: expect.stringMatching(/already exists/) });
    const listed = JSON.parse((await cpuidctl("sim", "list", "--state-dir", agent.stateDir)).stdout);
    expect(listed).toEqual([expect.objectContaining({ domain: "web1", state: "running" })]);
  });
});
