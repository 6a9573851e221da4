// CpuidPools end to end: sim agents on the demo's real CPU profiles, labelled
// by the controller (facts) and by their agents (--labels); a Pinned pool's
// level equals `cpuidctl policy level` of its members, a stronger host does
// not raise it, a weaker one is refused with its missing features, the level
// survives a controller restart, a `baseline: pool` domain policy is the
// level on any member, and relevel's what-if names the affected domain
// policies, which then follow the new level. Invariant TSC (itsc) follows the
// TSC rule: the file probe publishes each dump's TSC frequency (leaf
// 0x15/0x16), and Intel hosts publish no TSC scaling.

import { join } from "node:path";
import { type ControllerProcess, LEASE_NAMESPACE } from "../../devenv/daemons/controller.ts";
import { REPO_ROOT } from "../../devenv/repo-root.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CpuidPoolObject } from "../../shared/api/v1alpha1/cpuid-pool.ts";
import { serviceSeedFile } from "../../shared/nats/credentials-layout.ts";
import { LEVEL_ANNOTATION } from "../../shared/pool/level-annotation.ts";
import { planeInfo } from "../harness/context.ts";
import { cpuidctl } from "../support/cpuidctl.ts";
import { simAdmin } from "../../cli/sim-admin-client.ts";
import { applyDomainPolicy, condition, createDomain, ensureNamespace, eventsFor, eventually, kubectlOk, startController, startSimHost, waitForDomainPolicy, type SimHost } from "./fleet.ts";

const profile = (name: string) => join(REPO_ROOT, "examples", "profiles", `host-${name}.txt`);
const NS = "e2e-pools";
const hosts: SimHost[] = [];
let controller: ControllerProcess;

const addHost = async (name: string, hostId = `pool-${name}`, labels = "e2e-pool=yes,rack=r1") => {
  const h = await startSimHost(hostId, profile(name), undefined, ["--labels", labels]);
  hosts.push(h);
  return h;
};
const applyPool = (name: string, selector: Record<string, string>, levelPolicy: "Pinned" | "Automatic" = "Pinned") =>
  kubectlOk(["apply", "-f", "-"], {
    stdin: JSON.stringify({ apiVersion: "cpuidfleet.io/v1alpha1", kind: "CpuidPool", metadata: { name }, spec: { hostSelector: { matchLabels: selector }, guestType: "hvm", levelPolicy } }),
  });
/** `cpuidctl policy level` of the demo profiles, as JSON */
const cliLevel = (...names: string[]) => JSON.parse(cpuidctl("policy", "level", ...names.map(profile), "--guest", "hvm", "-o", "json").stdout);
const getPool = async (name = "e2e"): Promise<CpuidPoolObject> => JSON.parse(await kubectlOk(["get", "cpool", name, "-o", "json"]));
const hcpLabels = async (host: string): Promise<Record<string, string>> => JSON.parse(await kubectlOk(["get", "hcp", host, "-o", "json"])).metadata.labels ?? {};
const cond = (p: CpuidPoolObject, type: string) => p.status?.conditions?.find((c) => c.type === type);
const cli = (...args: string[]) => {
  const info = planeInfo();
  return cpuidctl(...args, "--kubeconfig", info.kubeconfig, "--nats-url", info.natsUrl, "--nats-seed-file", serviceSeedFile(info.credsDir, "controller"));
};

beforeAll(async () => {
  await Promise.all([ensureNamespace(NS), ensureNamespace(LEASE_NAMESPACE)]);
  await Promise.all([addHost("icelake"), addHost("skylake")]);
  controller = await startController("pools-1");
});

afterAll(async () => {
  await controller?.stop("SIGTERM");
  await Promise.all(hosts.map((h) => h.agent.stop()));
});

describe("CpuidPool", () => {
  it("labels hosts with their CPU facts and their agent's labels, keeping an operator's", async () => {
    await eventually("mirrored", () => kubectlOk(["label", "hcp", "pool-icelake", "team=ops"]));
    await eventually("labelled", async () =>
      expect(await hcpLabels("pool-icelake")).toMatchObject({ "cpuidfleet.io/vendor": "intel", "cpuidfleet.io/family": "6", "e2e-pool": "yes", team: "ops" }),
    );
    // both first members are selectable before the pool is created, so its level is pinned from both
    await eventually("skylake labelled", async () => expect(await hcpLabels("pool-skylake")).toMatchObject({ "cpuidfleet.io/vendor": "intel", "e2e-pool": "yes" }));
  });

  it("a pinned pool's level is `cpuidctl policy level` of its members and is not raised by a stronger host", async () => {
    await applyPool("e2e", { "e2e-pool": "yes", "cpuidfleet.io/vendor": "intel" });
    await eventually("pool ready", async () => expect(cond(await getPool(), "Ready")?.status).toBe("True"));
    const first = await getPool();
    expect(first.status?.members).toEqual(["pool-icelake", "pool-skylake"]);
    expect(first.status?.level?.featureset).toBe(cliLevel("icelake", "skylake").policy.featureset);
    // 2,400,000 and 2,100,000 kHz, and neither can scale: no itsc, and each host is named for it
    expect(first.status?.level?.features).not.toContain("itsc");
    expect(first.status?.limitingHosts?.filter((h) => h.removes.includes("itsc")).map((h) => h.host)).toEqual(["pool-icelake", "pool-skylake"]);

    await addHost("sapphirerapids");
    await eventually("stronger host admitted", async () => expect((await getPool()).status?.members).toEqual(["pool-icelake", "pool-sapphirerapids", "pool-skylake"]));
    expect((await getPool()).status?.level?.hash).toBe(first.status?.level?.hash);
  });

  it("a weaker host is refused with its missing features named", async () => {
    await addHost("haswell");
    await eventually("haswell refused", async () => {
      const p = await getPool();
      expect(p.status?.incompatibleHosts?.map((r) => r.host)).toEqual(["pool-haswell"]);
      // level features Haswell lacks (AVX is not among them: Xen hides it on these GDS-affected Ice Lake and Skylake parts)
      expect(p.status?.incompatibleHosts?.[0].missing).toEqual(expect.arrayContaining(["rdseed", "adx", "smap", "clflushopt", "xsaves"]));
      expect(cond(p, "HostIncompatible")?.message).toMatch(/^pool-haswell lacks .*rdseed/);
    });
    const events = JSON.parse(await kubectlOk(["get", "events.events.k8s.io", "-n", "default", "-o", "json"])).items as { regarding: { name: string }; reason: string; note: string }[];
    expect(events.filter((e) => e.regarding.name === "e2e" && e.reason === "HostIncompatible").map((e) => e.note)).toEqual([expect.stringContaining("pool-haswell")]);
    expect((await getPool()).status?.members).toEqual(["pool-icelake", "pool-sapphirerapids", "pool-skylake"]);
  });

  it("keeps the pinned level across a controller restart", async () => {
    const before = await getPool();
    await controller.stop("SIGTERM");
    controller = await startController("pools-2");
    await eventually("leads", async () => expect(await controller.isLeader()).toBe(true));
    await eventually("reconciled again", async () => expect((await getPool()).status?.incompatibleHosts?.length).toBe(1));
    const after = await getPool();
    expect(after.status?.level?.hash).toBe(before.status?.level?.hash);
    expect(after.metadata.annotations?.[LEVEL_ANNOTATION]).toBe(before.metadata.annotations?.[LEVEL_ANNOTATION]);
  });

  it("baseline pool builds the pool's level on a member, audits it against the level and the host, and says which members accept it", async () => {
    const spr = hosts.find((h) => h.hostId === "pool-sapphirerapids")!;
    const level = (await getPool()).status!.level!;
    await createDomain(spr, "vm-on-pool", "created");
    await applyDomainPolicy("on-pool", NS, { host: spr.hostId, domain: "vm-on-pool", guestType: "hvm", baseline: "pool", pool: "e2e" });
    const onPool = await waitForDomainPolicy("on-pool", NS, "Ready", (o) => condition(o, "Ready")?.status === "True");
    // the level itself, not the Sapphire Rapids' default: the same policy on every member
    expect(onPool.status).toMatchObject({ policyHash: level.hash, appliedHash: level.hash, featureset: level.featureset });
    expect(condition(onPool, "Audited")?.message).toContain(`the level of CpuidPool e2e (${level.hash})`);
    expect(condition(onPool, "Migratable")).toMatchObject({ status: "True", reason: "PoolWide" });
    expect(onPool.status?.poolAcceptance).toEqual({ pool: "e2e", levelHash: level.hash, members: 3, count: 3, hosts: ["pool-icelake", "pool-sapphirerapids", "pool-skylake"], refusing: [] });
    const toIcelake = cli("migrate", "check", `${NS}/on-pool`, "--to", "pool-icelake", "-o", "json");
    expect(toIcelake.code, toIcelake.stderr).toBe(0);
    expect(JSON.parse(toIcelake.stdout)).toMatchObject({ safe: true, policyHash: level.hash });
    const toHaswell = cli("migrate", "check", `${NS}/on-pool`, "--to", "pool-haswell", "-o", "json");
    expect(toHaswell.code).toBe(1);
    expect(JSON.parse(toHaswell.stdout).findings.flatMap((f: { features: string[] }) => f.features)).toEqual(expect.arrayContaining(["rdseed", "adx"]));

    // an enable beyond the level fails, naming the pool, though this host has the feature; nothing reaches the host
    await applyDomainPolicy("beyond-pool", NS, { host: spr.hostId, domain: "vm-beyond", guestType: "hvm", baseline: "pool", pool: "e2e", enable: ["avx512f"] });
    const beyond = await waitForDomainPolicy("beyond-pool", NS, "AuditFailed", (o) => condition(o, "Audited")?.reason === "AuditFailed");
    expect(beyond.status?.findings?.find((f) => f.features.includes("avx512f"))?.message).toContain("beyond the level of CpuidPool e2e");
    expect(((await simAdmin(spr.stateDir, "list")) as { domain: string }[]).map((d) => d.domain)).not.toContain("vm-beyond");

    // bad input: a missing pool, a pool of the other guest type
    await applyDomainPolicy("no-pool", NS, { host: spr.hostId, domain: "vm-no-pool", guestType: "hvm", baseline: "pool", pool: "nope" });
    const missing = await waitForDomainPolicy("no-pool", NS, "PoolNotFound", (o) => condition(o, "Audited")?.reason === "PoolNotFound");
    expect(condition(missing, "Audited")).toMatchObject({ status: "Unknown", message: "CpuidPool nope does not exist" });
    await applyDomainPolicy("pv-on-pool", NS, { host: spr.hostId, domain: "vm-pv", guestType: "pv", baseline: "pool", pool: "e2e" });
    const pv = await waitForDomainPolicy("pv-on-pool", NS, "PoolGuestTypeMismatch", (o) => condition(o, "Audited")?.reason === "PoolGuestTypeMismatch");
    expect(condition(pv, "Audited")).toMatchObject({ status: "False", message: "CpuidPool e2e is levelled for hvm guests and this policy is for pv guests" });
    const names = ((await simAdmin(spr.stateDir, "list")) as { domain: string }[]).map((d) => d.domain);
    expect(names).not.toContain("vm-no-pool");
    expect(names).not.toContain("vm-pv");
  });

  it("relevel shows the what-if with the affected domain policies, refuses a stale hash, and relevels on confirmation", async () => {
    const spr = hosts.find((h) => h.hostId === "pool-sapphirerapids")!;
    await createDomain(spr, "vm-pool", "created");
    await applyDomainPolicy("on-spr", NS, { host: spr.hostId, domain: "vm-pool", guestType: "hvm" });
    const dry = cli("pool", "relevel", "e2e", "--dry-run", "-o", "json");
    expect(dry.code, dry.stderr).toBe(0);
    const w = JSON.parse(dry.stdout);
    expect(w.members).toEqual(["pool-haswell", "pool-icelake", "pool-sapphirerapids", "pool-skylake"]);
    expect(w.removes).toEqual(expect.arrayContaining(["rdseed", "adx", "smap"]));
    const on = (policy: string, effect: string) => ({ policy: `${NS}/${policy}`, host: "pool-sapphirerapids", effect });
    // no-pool names another pool (which does not exist): on a member, its policy is not built from this level
    expect(w.affectedPolicies).toEqual([on("beyond-pool", "rebuilt"), on("no-pool", "member"), on("on-pool", "rebuilt"), on("on-spr", "member"), on("pv-on-pool", "rebuilt")]);
    expect(cli("pool", "relevel", "e2e", "--dry-run").stdout).toContain("DomainCpuidPolicies built from this pool (baseline pool), rebuilt from the new level, staged for running domains: 3");

    const none = cli("pool", "relevel", "e2e");
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("--dry-run");
    const stale = cli("pool", "relevel", "e2e", "--confirm", (await getPool()).status!.level!.hash);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toContain("is stale");

    const ok = cli("pool", "relevel", "e2e", "--confirm", w.newHash);
    expect(ok.code, ok.stderr).toBe(0);
    await eventually("relevelled", async () => {
      const p = await getPool();
      expect(p.status?.level?.hash).toBe(w.newHash);
      expect(p.status?.members).toEqual(["pool-haswell", "pool-icelake", "pool-sapphirerapids", "pool-skylake"]);
      expect(cond(p, "HostIncompatible")?.status).toBe("False");
    });
    // the policy built from the pool follows its new level, and every member accepts it
    const rebuilt = await waitForDomainPolicy("on-pool", NS, "rebuilt from the new level", (o) => o.status?.policyHash === w.newHash && condition(o, "Ready")?.status === "True");
    expect(rebuilt.status?.poolAcceptance).toMatchObject({ members: 4, count: 4, refusing: [] });
    expect(condition(rebuilt, "Migratable")).toMatchObject({ status: "True", reason: "PoolWide" });
  });
});

// The TSC rule: a level keeps itsc only if every member runs one TSC rate
// (within TSC_TOLERANCE_PPM) or can scale. Pools level the guest max, where
// Xen offers itsc (its default policies leave it out). Two Ice Lake hosts (2,400,000 kHz
// each) keep it; a Sapphire Rapids host (2,592,000 kHz, and as an Intel host
// it publishes no TSC scaling) is refused by the Pinned pool, whose level is
// never recomputed silently, and takes itsc out of the Automatic pool's level.
// A host whose rate is unknown (the Haswell dump has no leaf 0x15) leaves it.
describe("itsc follows the TSC rule", () => {
  const TSC = { "e2e-tsc": "yes" };
  const itscHosts = (p: CpuidPoolObject) => (p.status?.limitingHosts ?? []).filter((h) => h.removes.includes("itsc")).map((h) => h.host);

  it("hosts at one TSC rate keep itsc in a Pinned and an Automatic level, as `cpuidctl policy level` does", async () => {
    await Promise.all([addHost("icelake", "tsc-icelake-a", "e2e-tsc=yes"), addHost("icelake", "tsc-icelake-b", "e2e-tsc=yes")]);
    for (const h of ["tsc-icelake-a", "tsc-icelake-b"]) await eventually(`${h} labelled`, async () => expect(await hcpLabels(h)).toMatchObject(TSC));
    await Promise.all([applyPool("tsc-pinned", TSC), applyPool("tsc-auto", TSC, "Automatic")]);
    const cli = cliLevel("icelake", "icelake");
    expect(cli.policy.features).toContain("itsc");
    expect(cli.warnings).toEqual([]);
    for (const name of ["tsc-pinned", "tsc-auto"]) {
      const p = await eventually(`${name} levelled`, async () => {
        const p = await getPool(name);
        expect(p.status?.members).toEqual(["tsc-icelake-a", "tsc-icelake-b"]);
        return p;
      });
      expect(p.status?.level?.featureset).toBe(cli.policy.featureset);
      expect(p.status?.level?.features).toContain("itsc");
      expect(p.status?.limitingHosts).toEqual([]);
    }
  });

  it("a host at another TSC rate is refused by the Pinned pool, naming both rates, and takes itsc out of the Automatic level, naming every host", async () => {
    const pinnedBefore = (await getPool("tsc-pinned")).status!.level!;
    const autoBefore = (await getPool("tsc-auto")).status!.level!;
    await addHost("sapphirerapids", "tsc-sapphirerapids", "e2e-tsc=yes");

    const pinned = await eventually("tsc-pinned refuses the Sapphire Rapids", async () => {
      const p = await getPool("tsc-pinned");
      expect(p.status?.incompatibleHosts?.map((r) => r.host)).toEqual(["tsc-sapphirerapids"]);
      return p;
    });
    // the TSC rate is its only problem: it has every feature of the level
    expect(pinned.status?.incompatibleHosts?.[0].missing).toEqual([expect.stringMatching(/^itsc .*the guest runs at 2400000 kHz and this host at 2592000 kHz \(more than 250 ppm apart\) without TSC scaling$/)]);
    expect(cond(pinned, "HostIncompatible")).toMatchObject({ status: "True", message: expect.stringMatching(/^tsc-sapphirerapids lacks itsc .*2592000 kHz/) });
    expect(pinned.status?.members).toEqual(["tsc-icelake-a", "tsc-icelake-b"]);
    expect(pinned.status?.level).toEqual(pinnedBefore);

    const auto = await eventually("tsc-auto drops itsc", async () => {
      const p = await getPool("tsc-auto");
      expect(p.status?.members).toEqual(["tsc-icelake-a", "tsc-icelake-b", "tsc-sapphirerapids"]);
      expect(p.status?.level?.features).not.toContain("itsc");
      return p;
    });
    const cli = cliLevel("icelake", "icelake", "sapphirerapids");
    expect(cli.warnings).toEqual([expect.stringMatching(/^itsc removed: TSC frequencies differ by more than 250 ppm \(2400000 kHz: .*; 2592000 kHz: .*\)/)]);
    expect(auto.status?.level?.featureset).toBe(cli.policy.featureset);
    expect(itscHosts(auto)).toEqual(["tsc-icelake-a", "tsc-icelake-b", "tsc-sapphirerapids"]);
    expect((await eventsFor("tsc-auto", "default")).filter((e) => e.reason === "LevelChanged").map((e) => e.note)).toEqual([
      expect.stringContaining(`level changed from ${autoBefore.hash} to ${auto.status?.level?.hash}`),
    ]);
  });

  it("a host whose TSC rate is unknown leaves itsc in the level", async () => {
    await addHost("haswell", "tsc-haswell", "e2e-tsc-unknown=yes");
    await kubectlOk(["label", "hcp", "tsc-icelake-a", "e2e-tsc-unknown=yes"]);
    await applyPool("tsc-unknown", { "e2e-tsc-unknown": "yes" }, "Automatic");
    const p = await eventually("tsc-unknown levelled", async () => {
      const p = await getPool("tsc-unknown");
      expect(p.status?.members).toEqual(["tsc-haswell", "tsc-icelake-a"]);
      return p;
    });
    const cli = cliLevel("icelake", "haswell");
    expect(cli.warnings).toContain("itsc kept, but the TSC frequency of host-haswell is unknown; migrating there may change the guest's TSC rate");
    expect(p.status?.level?.featureset).toBe(cli.policy.featureset);
    expect(p.status?.level?.features).toContain("itsc");
    expect(itscHosts(p)).toEqual([]);
  });
});

// Bad input from the list that the tests above do not cover: a
// selector matching no host, and hosts of different vendors. Each is a
// condition naming the problem; no level is kept, and a domain policy built
// from such a pool reaches no host.
describe("pools that cannot be levelled", () => {
  const annotations = async (name: string) => (await getPool(name)).metadata.annotations ?? {};

  it("a selector matching no host: Ready=False NoMembers, nothing pinned", async () => {
    await applyPool("e2e-nowhere", { "e2e-pool": "nowhere" });
    const p = await eventually("e2e-nowhere reconciled", async () => {
      const p = await getPool("e2e-nowhere");
      expect(cond(p, "Ready")?.reason).toBe("NoMembers");
      return p;
    });
    expect(cond(p, "Ready")).toMatchObject({ status: "False", message: "the selector matches no host with a published guest max policy" });
    expect(p.status).toMatchObject({ members: [], memberCount: 0 });
    expect(p.status?.level).toBeUndefined();
    expect(await annotations("e2e-nowhere")).not.toHaveProperty(LEVEL_ANNOTATION);
  });

  it("hosts of different vendors: Ready=False CannotLevel naming them; a baseline pool policy on it reaches no host", async () => {
    await addHost("rome", "mixed-rome", "e2e-mixed=yes");
    await kubectlOk(["label", "hcp", "pool-icelake", "e2e-mixed=yes"]);
    await eventually("mixed-rome labelled", async () => expect(await hcpLabels("mixed-rome")).toMatchObject({ "cpuidfleet.io/vendor": "amd", "e2e-mixed": "yes" }));
    await applyPool("e2e-mixed", { "e2e-mixed": "yes" });
    const p = await eventually("e2e-mixed reconciled", async () => {
      const p = await getPool("e2e-mixed");
      expect(cond(p, "Ready")?.reason).toBe("CannotLevel");
      return p;
    });
    expect(cond(p, "Ready")?.status).toBe("False");
    expect(cond(p, "HostIncompatible")).toMatchObject({
      status: "True",
      reason: "CannotLevel",
      message: 'hosts of different vendors cannot share a pool level; amd ("AuthenticAMD"): mixed-rome; intel ("GenuineIntel"): pool-icelake',
    });
    expect(p.status).toMatchObject({ members: [], memberCount: 0 });
    expect(p.status?.level).toBeUndefined();
    expect(await annotations("e2e-mixed")).not.toHaveProperty(LEVEL_ANNOTATION);

    const icelake = hosts.find((h) => h.hostId === "pool-icelake")!;
    const vmMixed = async () => ((await simAdmin(icelake.stateDir, "list")) as { domain: string }[]).find((d) => d.domain === "vm-mixed");
    await createDomain(icelake, "vm-mixed", "created");
    const created = await vmMixed();
    expect(created).toBeDefined();
    await applyDomainPolicy("on-mixed", NS, { host: icelake.hostId, domain: "vm-mixed", guestType: "hvm", baseline: "pool", pool: "e2e-mixed" });
    const dcp = await waitForDomainPolicy("on-mixed", NS, "PoolNotReady", (o) => condition(o, "Audited")?.reason === "PoolNotReady");
    expect(condition(dcp, "Audited")).toMatchObject({ status: "Unknown", message: expect.stringContaining("CpuidPool e2e-mixed has no level yet") });
    expect(dcp.status?.appliedHash).toBeUndefined();
    expect(await vmMixed()).toEqual(created);
  });
});
