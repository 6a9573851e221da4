// Migration end to end on the real control plane: kubectl, the controller
// binary, sim agents on real CPU profiles, cpuidctl as users run it. The
// policy travels with the domain; the destination's max must accept it.

import { type ControllerProcess, LEASE_NAMESPACE } from "../../devenv/daemons/controller.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simAdmin } from "../../cli/sim-admin-client.ts";
import type { DomainInfoSummary } from "../../shared/schemas/agent-messages.ts";
import {
  applyDomainPolicy,
  condition,
  createDomain,
  ensureNamespace,
  eventually,
  getDomainPolicy,
  kubectlOk,
  metricValue,
  profile,
  runCpuidctl,
  startController,
  startSimHost,
  waitForDomainPolicy,
  type SimHost,
} from "./fleet.ts";

const NS = "e2e-migration";
let controller: ControllerProcess;
let icelake: SimHost;
let sapphire: SimHost;
let haswell: SimHost;

beforeAll(async () => {
  await Promise.all([ensureNamespace(NS), ensureNamespace(LEASE_NAMESPACE)]);
  [icelake, sapphire, haswell] = await Promise.all([
    startSimHost("mig-icelake", profile("icelake")),
    startSimHost("mig-sapphirerapids", profile("sapphirerapids")),
    startSimHost("mig-haswell", profile("haswell")),
  ]);
  controller = await startController("e2e-migration");
  await eventually("controller leads", async () => expect(await controller.isLeader()).toBe(true));
});

afterAll(async () => {
  await controller?.stop();
  await Promise.all([icelake?.agent.stop(), sapphire?.agent.stop(), haswell?.agent.stop()]);
});

const ready = (o: Parameters<typeof condition>[0]) => condition(o, "Ready")?.status === "True";

async function domainsOn(host: SimHost): Promise<DomainInfoSummary[]> {
  return (await simAdmin(host.stateDir, "list")) as DomainInfoSummary[];
}

async function setHost(name: string, host: string): Promise<void> {
  await kubectlOk(["patch", "dcp", name, "-n", NS, "--type", "merge", "-p", JSON.stringify({ spec: { host } })]);
}

describe("migration", () => {
  it("checks, moves a domain between sim hosts and follows a spec.host change with the policy the domain holds", async () => {
    // an Ice Lake domain (the default less rdpid), created paused so the policy is active at once, then running
    await createDomain(icelake, "vm-mover", "created");
    await applyDomainPolicy("mover", NS, { host: icelake.hostId, domain: "vm-mover", guestType: "hvm", disable: ["rdpid"] });
    const before = await waitForDomainPolicy("mover", NS, "Ready", ready);
    await simAdmin(icelake.stateDir, "start", "vm-mover");
    const hash = before.status!.policyHash!;

    // which hosts could take it: the Sapphire Rapids (a superset) and the Ice Lake itself, not the Haswell
    const accepting = await waitForDomainPolicy("mover", NS, "acceptingHosts", (o) => (o.status?.acceptingHosts?.hosts ?? []).includes(sapphire.hostId));
    expect(accepting.status?.acceptingHosts?.hosts).toContain(icelake.hostId);
    expect(accepting.status?.acceptingHosts?.hosts).not.toContain(haswell.hostId);

    // migrate check: yes to the stronger host, no with every finding to the weaker one
    const yes = await runCpuidctl(["migrate", "check", `${NS}/mover`, "--to", sapphire.hostId]);
    expect(yes.stderr).toBe("");
    expect(yes.code).toBe(0);
    expect(yes.stdout).toContain(`to ${sapphire.hostId}: yes`);
    const no = await runCpuidctl(["migrate", "check", `${NS}/mover`, "--to", haswell.hostId, "-o", "json"]);
    expect(no.code).toBe(1);
    const verdict = JSON.parse(no.stdout) as { safe: boolean; policyHash: string; findings: { features?: string[] }[] };
    expect(verdict).toMatchObject({ safe: false, policyHash: hash });
    expect(verdict.findings.flatMap((f) => f.features ?? [])).toEqual(expect.arrayContaining(["sha", "xsaves", "gfni"]));

    // bad input: each a clear error, exit 2
    const unknownHost = await runCpuidctl(["migrate", "check", `${NS}/mover`, "--to", "mig-nowhere"]);
    expect(unknownHost).toMatchObject({ code: 2 });
    expect(unknownHost.stderr).toContain("host mig-nowhere has not published policies");
    const missing = await runCpuidctl(["migrate", "check", `${NS}/no-such-policy`, "--to", sapphire.hostId]);
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.stderr).toContain(`DomainCpuidPolicy ${NS}/no-such-policy not found`);

    // sim migrate: the Haswell's own audit refuses the domain, which stays where it was
    const refused = await runCpuidctl(["sim", "migrate", "vm-mover", "--from-state-dir", icelake.stateDir, "--to-state-dir", haswell.stateDir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("this host's own audit refuses domain vm-mover's policy");
    expect(refused.stderr).toContain("sha");
    expect((await domainsOn(haswell)).map((d) => d.domain)).not.toContain("vm-mover");
    expect((await domainsOn(icelake)).find((d) => d.domain === "vm-mover")).toMatchObject({ state: "running", activeHash: hash });

    // ... and the Sapphire Rapids takes it, running, with its policy and provenance
    const moved = await runCpuidctl(["sim", "migrate", "vm-mover", "--from-state-dir", icelake.stateDir, "--to-state-dir", sapphire.stateDir]);
    expect(moved.stderr).toBe("");
    expect(moved.code).toBe(0);
    expect((await domainsOn(icelake)).map((d) => d.domain)).not.toContain("vm-mover");
    expect((await domainsOn(sapphire)).find((d) => d.domain === "vm-mover")).toMatchObject({
      state: "running",
      activeHash: hash,
      resourceUid: before.metadata.uid,
      lastRequestId: before.status!.lastRequestId,
    });

    // the spec follows the domain: the policy it holds is kept (not rebuilt from the Sapphire Rapids default), and the move is safe
    await setHost("mover", sapphire.hostId);
    const safe = await waitForDomainPolicy("mover", NS, "MoveSafe and Ready", (o) => condition(o, "Audited")?.reason === "MoveSafe" && ready(o) && o.status?.observedGeneration === 2);
    expect(safe.status).toMatchObject({ policyHash: hash, appliedHash: hash, activation: "Active", host: sapphire.hostId, movedFrom: icelake.hostId });
    expect(safe.status?.carriedPolicy).toBeDefined();
    expect(safe.status?.addedFeatures).toEqual([]);
    expect(safe.status?.removedFeatures?.length).toBeGreaterThan(0);

    // a move to the weaker Haswell is unsafe: every finding, nothing sent there
    await setHost("mover", haswell.hostId);
    const unsafe = await waitForDomainPolicy("mover", NS, "MoveUnsafe", (o) => condition(o, "Audited")?.reason === "MoveUnsafe");
    expect(condition(unsafe, "Audited")?.status).toBe("False");
    expect(condition(unsafe, "Applied")).toMatchObject({ status: "False", reason: "NotAudited" });
    expect(unsafe.status).toMatchObject({ policyHash: hash, movedFrom: sapphire.hostId });
    expect(unsafe.status?.findings?.flatMap((f) => f.features ?? [])).toEqual(expect.arrayContaining(["sha", "xsaves", "gfni"]));
    expect((await domainsOn(haswell)).map((d) => d.domain)).not.toContain("vm-mover");
    const metrics = await controller.metrics();
    expect(metricValue(metrics, "cpuid_domain_policies_failing", { reason: "MoveUnsafe" })).toBe(1);
  });

  it("a spec.host change that also asks for something new is a new request, built on the new host", async () => {
    await createDomain(icelake, "vm-rebuilt", "created");
    await applyDomainPolicy("rebuilt", NS, { host: icelake.hostId, domain: "vm-rebuilt", guestType: "hvm" });
    const before = await waitForDomainPolicy("rebuilt", NS, "Ready", ready);
    await createDomain(sapphire, "vm-rebuilt", "created");
    await applyDomainPolicy("rebuilt", NS, { host: sapphire.hostId, domain: "vm-rebuilt", guestType: "hvm", disable: ["avx512-vbmi2"] });
    const after = await waitForDomainPolicy("rebuilt", NS, "Ready on the new host", (o) => ready(o) && o.status?.host === sapphire.hostId);
    expect(condition(after, "Audited")?.reason).toBe("AuditPassed");
    expect(after.status?.policyHash).not.toBe(before.status?.policyHash);
    expect(after.status?.carriedPolicy).toBeUndefined();
    expect(after.status?.removedFeatures).toEqual(["avx512-vbmi2"]);
  });

  it("a spec.host change made before the domain moves leaves the domain its policy on the old host, even when the move is unsafe", async () => {
    await createDomain(sapphire, "vm-stays", "created");
    // not the host default (a reset to it would change nothing)
    await applyDomainPolicy("stays", NS, { host: sapphire.hostId, domain: "vm-stays", guestType: "hvm", disable: ["rdpid"] });
    const held = await waitForDomainPolicy("stays", NS, "Ready", ready);
    await setHost("stays", haswell.hostId);
    await waitForDomainPolicy("stays", NS, "MoveUnsafe", (o) => condition(o, "Audited")?.reason === "MoveUnsafe");
    // a policy deleted on the same host makes a sweep of it: once that reset is done, the sweep has seen vm-stays too
    await createDomain(sapphire, "vm-marker", "created");
    await applyDomainPolicy("marker", NS, { host: sapphire.hostId, domain: "vm-marker", guestType: "hvm", disable: ["rdpid"] });
    const marker = await waitForDomainPolicy("marker", NS, "Ready", ready);
    await kubectlOk(["delete", "dcp", "marker", "-n", NS, "--timeout=20s"]);
    await eventually("marker reset to the host default", async () => {
      const d = (await domainsOn(sapphire)).find((x) => x.domain === "vm-marker");
      expect(d?.activeHash).toBeDefined();
      expect(d?.activeHash).not.toBe(marker.status?.policyHash);
    });
    expect((await domainsOn(sapphire)).find((d) => d.domain === "vm-stays")).toMatchObject({ activeHash: held.status?.policyHash, resourceUid: held.metadata.uid });
  });

  it("migrate check refuses a policy that has not passed its audit; one no host accepts counts as unmigratable", async () => {
    await applyDomainPolicy("too-big", NS, { host: haswell.hostId, domain: "vm-too-big", guestType: "hvm", enable: ["avx512f"] });
    await waitForDomainPolicy("too-big", NS, "AuditFailed", (o) => condition(o, "Audited")?.reason === "AuditFailed");
    const r = await runCpuidctl(["migrate", "check", `${NS}/too-big`, "--to", sapphire.hostId]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("has no audited effective policy to migrate: Audited=False (AuditFailed");
    // built on the Haswell with AVX-512: no host takes it (the Ice Lake hides AVX, the Sapphire Rapids' max lacks the Haswell default's syscall bit)
    expect((await getDomainPolicy("too-big", NS)).status?.acceptingHosts).toEqual({ count: 0, hosts: [] });
    expect(metricValue(await controller.metrics(), "cpuid_domain_policies_unmigratable")).toBeGreaterThanOrEqual(1);
  });
});

// Invariant TSC (itsc) travels with the domain as a promise of a constant TSC
// rate: Xen carries the rate in the migration stream, so a host at another
// rate that cannot scale TSC breaks it. The file probe publishes the Ice Lake
// profile's 2,400,000 kHz and the Sapphire Rapids' 2,592,000 kHz (CPUID leaf
// 0x15) and, for Intel, no TSC scaling; the Haswell's rate is unknown (no leaf
// 0x15). The same policy without itsc goes to the Sapphire Rapids.
describe("migration follows the invariant-TSC rule", () => {
  let icelakeB: SimHost;
  beforeAll(async () => {
    icelakeB = await startSimHost("mig-icelake-b", profile("icelake"));
  });
  afterAll(async () => {
    await icelakeB?.agent.stop();
  });

  const tscFinding = (from: string, to: string) =>
    `itsc (CPUID 0x80000007.edx[8]) promises a constant TSC rate, but the guest runs at 2400000 kHz on host ${from} and host ${to} at 2592000 kHz (more than 250 ppm apart) without TSC scaling`;

  it("acceptingHosts, migrate check and a spec.host change refuse a host at another TSC rate for a policy with itsc", async () => {
    await Promise.all([createDomain(icelake, "vm-itsc", "created"), createDomain(icelake, "vm-no-itsc", "created")]);
    await applyDomainPolicy("itsc", NS, { host: icelake.hostId, domain: "vm-itsc", guestType: "hvm", disable: ["rdpid"], enable: ["itsc"] });
    await applyDomainPolicy("no-itsc", NS, { host: icelake.hostId, domain: "vm-no-itsc", guestType: "hvm", disable: ["rdpid"] });
    const withItsc = await waitForDomainPolicy("itsc", NS, "Ready", ready);
    expect(withItsc.status?.addedFeatures).toEqual(["itsc"]);
    await simAdmin(icelake.stateDir, "start", "vm-itsc");

    // counted only where the rate is the Ice Lake's; the Haswell lacks features either way
    const both = [icelake.hostId, icelakeB.hostId];
    const plain = await waitForDomainPolicy("no-itsc", NS, "three accepting hosts", (o) => o.status?.acceptingHosts?.count === 3);
    expect(plain.status?.acceptingHosts?.hosts).toEqual([...both, sapphire.hostId]);
    const counted = await waitForDomainPolicy("itsc", NS, "two accepting hosts", (o) => o.status?.acceptingHosts?.count === 2);
    expect(counted.status?.acceptingHosts?.hosts).toEqual(both);
    expect(condition(counted, "Migratable")).toMatchObject({ status: "True", reason: "OtherHostsAccept", message: "1 other host accepts the effective policy" });

    // migrate check: no to the Sapphire Rapids, naming both hosts and rates; yes to the other Ice Lake
    const no = await runCpuidctl(["migrate", "check", `${NS}/itsc`, "--to", sapphire.hostId, "-o", "json"]);
    expect(no.code, no.stderr).toBe(1);
    expect(JSON.parse(no.stdout)).toMatchObject({ safe: false, findings: [{ code: "tsc-incompatible", features: ["itsc"], message: tscFinding(icelake.hostId, sapphire.hostId) }], warnings: [] });
    const text = await runCpuidctl(["migrate", "check", `${NS}/itsc`, "--to", sapphire.hostId]);
    expect(text.stdout).toContain(`to ${sapphire.hostId}: no\n1 finding:\n  tsc-incompatible`);
    const yes = await runCpuidctl(["migrate", "check", `${NS}/itsc`, "--to", icelakeB.hostId]);
    expect(yes.code, yes.stderr).toBe(0);
    expect(yes.stdout).toContain(`to ${icelakeB.hostId}: yes`);
    expect((await runCpuidctl(["migrate", "check", `${NS}/no-itsc`, "--to", sapphire.hostId])).code).toBe(0);
    // an unknown rate refuses nothing on its own (the Haswell is refused for its features) and is said
    const haswellCheck = JSON.parse((await runCpuidctl(["migrate", "check", `${NS}/itsc`, "--to", haswell.hostId, "-o", "json"])).stdout);
    expect(haswellCheck.findings.map((f: { code: string }) => f.code)).not.toContain("tsc-incompatible");
    expect(haswellCheck.warnings).toEqual([expect.stringContaining(`the TSC frequency of host ${haswell.hostId} is unknown: not refused`)]);

    // the domain moves to the other Ice Lake and the spec follows: safe
    const moved = await runCpuidctl(["sim", "migrate", "vm-itsc", "--from-state-dir", icelake.stateDir, "--to-state-dir", icelakeB.stateDir]);
    expect(moved.code, moved.stderr).toBe(0);
    await kubectlOk(["patch", "dcp", "itsc", "-n", NS, "--type", "merge", "-p", JSON.stringify({ spec: { host: icelakeB.hostId } })]);
    const safe = await waitForDomainPolicy("itsc", NS, "MoveSafe", (o) => condition(o, "Audited")?.reason === "MoveSafe" && ready(o));
    expect(safe.status).toMatchObject({ policyHash: withItsc.status?.policyHash, host: icelakeB.hostId, movedFrom: icelake.hostId });

    // on to the Sapphire Rapids: unsafe for its TSC rate alone, nothing sent there
    await kubectlOk(["patch", "dcp", "itsc", "-n", NS, "--type", "merge", "-p", JSON.stringify({ spec: { host: sapphire.hostId } })]);
    const unsafe = await waitForDomainPolicy("itsc", NS, "MoveUnsafe", (o) => condition(o, "Audited")?.reason === "MoveUnsafe");
    expect(unsafe.status?.findings).toEqual([expect.objectContaining({ code: "tsc-incompatible", message: tscFinding(icelakeB.hostId, sapphire.hostId) })]);
    expect(condition(unsafe, "Audited")?.message).toContain(`unsafe to move: the policy the domain brought from ${icelakeB.hostId}`);
    expect((await domainsOn(sapphire)).map((d) => d.domain)).not.toContain("vm-itsc");
  });
});
