// The xen probe and backend against stand-in xen-cpuid / xl replaying a real
// `xen-cpuid -p` capture (test/support/stand-ins).

import { readFileSync } from "node:fs";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { XenBackend, parseXlList, xlConfigPath } from "../../../agent/backends/xen.ts";
import { createAgentMetrics } from "../../../agent/metrics.ts";
import { XenProbe } from "../../../agent/probes/xen.ts";
import { parseXlInfo, xlTscKhz } from "../../../agent/probes/xl-info.ts";
import { buildHostPolicies } from "../../../agent/host-policies.ts";
import { policyHash } from "../../../shared/policy/canonical.ts";
import { parseLibxlCpuid } from "../../../shared/formats/libxl-cpuid.ts";
import { StandInXenHost, XEN_CPUID, XENSTORE_WATCH, XL } from "../../support/stand-ins/xen-host.ts";
import { eventually } from "../../harness/eventually.ts";
import { fixturePolicy, record, tempDir } from "./support.ts";

const FIXTURE = "xen-cpuid-p_core-i5-12600k_alderlake.txt";
const backends: XenBackend[] = [];

function setup() {
  const host = new StandInXenHost(FIXTURE);
  process.env.CPUID_STANDIN_DIR = host.dir;
  const metrics = createAgentMetrics("xen-test");
  const stateDir = tempDir();
  const changed: string[] = [];
  const make = () => {
    const b = new XenBackend({
      stateDir,
      xl: XL,
      xenCpuid: XEN_CPUID,
      pollIntervalMs: 60_000,
      xenstoreWatch: XENSTORE_WATCH,
      defaultPolicy: (g) => fixturePolicy(g === "hvm" ? "hvm_default" : "pv_default"),
      onDomainChange: (domain) => changed.push(domain),
      log: pino({ level: "silent" }),
      metrics,
    });
    backends.push(b);
    return b;
  };
  return { host, metrics, stateDir, make, changed };
}

afterEach(async () => {
  await Promise.all(backends.splice(0).map((b) => b.close()));
  delete process.env.CPUID_STANDIN_DIR;
});

function withoutRdrand() {
  const p = fixturePolicy("hvm_default");
  p.basic[1].ecx &= ~(1 << 30);
  return p;
}

const change = (domain: string, p = withoutRdrand()) => ({ domain, guestType: "hvm" as const, policy: record(p), requestId: "r1", generation: 2 });

describe("xen probe", () => {
  it("takes Xen's six policies and the fingerprint facts from xl info", async () => {
    const host = new StandInXenHost(FIXTURE, { xenVersion: "4.20.0", commandLine: "dom0_mem=4G cpuid=no-avx2 console=vga" });
    process.env.CPUID_STANDIN_DIR = host.dir;
    const result = await new XenProbe(XEN_CPUID, XL, "/nonexistent").run();
    expect(result.facts).toMatchObject({ probe: "xen", xenVersion: "4.20.0", xenCommandLine: "dom0_mem=4G cpuid=no-avx2 console=vga", cpuidCmdline: "no-avx2" });
    expect(policyHash(result.policies.hvm_max)).toBe(policyHash(fixturePolicy("hvm_max")));
    expect(policyHash(result.policies.pv_default)).toBe(policyHash(fixturePolicy("pv_default")));
  });

  it("publishes Xen's calibrated TSC frequency from xl info's cpu_mhz, exact to the kHz, and none from whole MHz", async () => {
    const host = new StandInXenHost(FIXTURE, { xenVersion: "4.17.3", commandLine: "dom0_mem=4G", cpuMhz: "3686.417" });
    process.env.CPUID_STANDIN_DIR = host.dir;
    const published = buildHostPolicies("h", await new XenProbe(XEN_CPUID, XL, "/nonexistent").run());
    expect(published.tsc.khz).toBe(3_686_417);
    host.setInfo({ xenVersion: "4.17.3", commandLine: "dom0_mem=4G", cpuMhz: "3686" });
    expect((await new XenProbe(XEN_CPUID, XL, "/nonexistent").run()).tscKhz).toBeUndefined();
    expect(xlTscKhz(parseXlInfo("cpu_mhz                : 0.000\n"))).toBeUndefined();
    expect(xlTscKhz(parseXlInfo("host : x\n"))).toBeUndefined();
  });
});

describe("xen backend", () => {
  it("parses xl list, skipping Domain-0", () => {
    const text = "Name  ID Mem VCPUs State Time(s)\nDomain-0 0 4096 4 r----- 1.0\nvm1 3 1024 2 -b---- 2.0\nvm2 4 1024 2 --p--- 0.0\nvm3 5 1024 2 ---s-- 0.1\n";
    expect([...parseXlList(text)]).toEqual([
      ["vm1", { domid: 3, state: "running" }],
      ["vm2", { domid: 4, state: "paused" }],
      ["vm3", { domid: 5, state: "shutdown" }],
    ]);
  });

  it("stages a policy as an xl.cfg cpuid= string and verifies it once the domain runs", async () => {
    const { host, metrics, stateDir, make } = setup();
    const xen = make();
    const p = withoutRdrand();
    const staged = await xen.setPolicy(change("vm1", p));
    expect(staged).toMatchObject({ result: "staged", domain: { state: "absent", staged: { hash: policyHash(p) } } });
    const cfg = readFileSync(xlConfigPath(stateDir, "vm1"), "utf8");
    const value = /^cpuid = "(.*)"$/m.exec(cfg)![1];
    expect(value).toBe("host,rdrand=0");
    expect(parseLibxlCpuid(value).form).toBe("libxl");

    host.setDomains([{ name: "vm1", domid: 7, state: "running" }]);
    host.setDomainPolicy(7, p);
    await xen.poll();
    expect(await xen.domain("vm1")).toMatchObject({ state: "running", active: { hash: policyHash(p) }, staged: undefined });
    expect(await metrics.register.getSingleMetricAsString("cpuid_agent_xen_verifications_total")).toMatch(/result="match".* 1/);
  });

  it("notices a domain start from xenstore's @introduceDomain watch, long before the next xl list poll, and announces it", async () => {
    const { host, make, changed } = setup();
    const xen = make();
    const p = withoutRdrand();
    await xen.setPolicy(change("vm6", p));
    host.setDomains([{ name: "vm6", domid: 13, state: "running" }]);
    host.setDomainPolicy(13, p);
    host.fireXenstoreWatch("@introduceDomain");
    await eventually("vm6 active", async () => expect(await xen.domain("vm6")).toMatchObject({ state: "running", domid: 13, active: { hash: policyHash(p) }, staged: undefined }));
    expect(changed).toContain("vm6");
    host.setDomains([]);
    host.fireXenstoreWatch("@releaseDomain");
    await eventually("vm6 shut down", async () => expect((await xen.domain("vm6"))?.state).toBe("shutdown"));
  });

  it("without xenstore-watch it keeps polling xl list, and logs why", async () => {
    const { host } = setup();
    const lines: string[] = [];
    const log = pino({ level: "warn" }, { write: (l: string) => void lines.push(l) });
    const xen = new XenBackend({
      stateDir: tempDir(),
      xl: XL,
      xenCpuid: XEN_CPUID,
      pollIntervalMs: 200,
      xenstoreWatch: "/nonexistent/xenstore-watch",
      defaultPolicy: (g) => fixturePolicy(g === "hvm" ? "hvm_default" : "pv_default"),
      onDomainChange: () => undefined,
      log,
      metrics: createAgentMetrics("xen-fallback"),
    });
    backends.push(xen);
    host.setDomains([{ name: "vm7", domid: 14, state: "paused" }]);
    host.setDomainPolicy(14, fixturePolicy("hvm_default"));
    await eventually("vm7 seen by the poll", async () => expect((await xen.domain("vm7"))?.state).toBe("paused"));
    expect(lines.join("")).toContain("xenstore watch ended; domain starts are noticed by polling xl list");
    expect(lines.join("")).toContain("ENOENT");
  });

  it("writes the xend form for a Xen whose libxl knows no feature names (4.17.1), and names for 4.17.2 on", async () => {
    const { host, stateDir, make } = setup();
    host.setInfo({ xenVersion: "4.17.1", commandLine: "dom0_mem=4G" });
    await make().setPolicy(change("old"));
    expect(readFileSync(xlConfigPath(stateDir, "old"), "utf8")).toMatch(/^cpuid = \["0x1:ecx=x0x{30}"\]$/m);
    host.setInfo({ xenVersion: "4.17.2", commandLine: "dom0_mem=4G" });
    await make().setPolicy(change("new"));
    expect(readFileSync(xlConfigPath(stateDir, "new"), "utf8")).toMatch(/^cpuid = "host,rdrand=0"$/m);
  });

  it("keeps the staged policy and reports a mismatch when the domain started without it", async () => {
    const { host, metrics, make } = setup();
    const xen = make();
    host.setDomains([{ name: "vm2", domid: 8, state: "running" }]);
    host.setDomainPolicy(8, fixturePolicy("hvm_default"));
    await xen.poll();
    expect((await xen.domain("vm2"))?.active?.hash).toBe(policyHash(fixturePolicy("hvm_default")));

    const p = withoutRdrand();
    expect((await xen.setPolicy(change("vm2", p))).result).toBe("staged");
    host.setDomains([{ name: "vm2", domid: 9, state: "running" }]);
    host.setDomainPolicy(9, fixturePolicy("hvm_default"));
    await xen.poll();
    expect(await xen.domain("vm2")).toMatchObject({ active: { hash: policyHash(fixturePolicy("hvm_default")) }, staged: { hash: policyHash(p) } });
    expect(await metrics.register.getSingleMetricAsString("cpuid_agent_xen_verifications_total")).toMatch(/result="mismatch".* 1/);

    // Asking for what it runs withdraws the staged change.
    expect((await xen.setPolicy(change("vm2", fixturePolicy("hvm_default")))).result).toBe("applied");
  });

  it("keeps the provenance of a domain's policy across domain restarts (new domid) and agent restarts", async () => {
    const { host, make } = setup();
    const xen = make();
    const p = withoutRdrand();
    const provenance = { lastRequestId: "r1", generation: 2, resourceUid: "uid-1" };
    await xen.setPolicy({ ...change("vm5", p), resourceUid: "uid-1" });
    host.setDomains([{ name: "vm5", domid: 11, state: "running" }]);
    host.setDomainPolicy(11, p);
    await xen.poll();
    expect(await xen.domain("vm5")).toMatchObject({ state: "running", active: { hash: policyHash(p) }, ...provenance });
    host.setDomains([]);
    await xen.poll();
    expect(await xen.domain("vm5")).toMatchObject({ state: "shutdown", ...provenance });
    await xen.close();
    const again = make();
    host.setDomains([{ name: "vm5", domid: 12, state: "running" }]);
    host.setDomainPolicy(12, p);
    await again.poll();
    expect(await again.domain("vm5")).toMatchObject({ state: "running", domid: 12, active: { hash: policyHash(p) }, ...provenance });
  });

  it("notices shutdowns and keeps its records across restarts", async () => {
    const { host, make } = setup();
    const xen = make();
    host.setDomains([{ name: "vm3", domid: 10, state: "paused" }]);
    host.setDomainPolicy(10, fixturePolicy("hvm_default"));
    await xen.poll();
    expect((await xen.domain("vm3"))?.state).toBe("paused");
    host.setDomains([]);
    await xen.poll();
    expect((await xen.domain("vm3"))?.state).toBe("shutdown");
    await xen.setPolicy(change("vm4"));
    await xen.close();
    expect(await make().domains()).toEqual(await xen.domains());
  });
});
