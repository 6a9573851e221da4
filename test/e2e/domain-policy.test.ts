// End to end on the real control plane: kubectl, the controller binary and
// sim agents as processes, NATS with per-identity permissions.

import { type ControllerProcess, LEASE_NAMESPACE } from "../../devenv/daemons/controller.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startController,
  HASWELL,
  SAPPHIRE_RAPIDS,
  applyDomainPolicy,
  condition,
  createDomain,
  domainPolicyYaml,
  ensureNamespace,
  eventsFor,
  eventually,
  getDomainPolicy,
  kubectlOk,
  metricValue,
  restartSimHost,
  startSimHost,
  waitForDomainPolicy,
  type SimHost,
} from "./fleet.ts";
import { connectNats, kubectl, planeInfo } from "../harness/context.ts";
import { requestHost } from "../support/daemons.ts";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../../devenv/repo-root.ts";

function cpuidctlAudit(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const info = planeInfo();
  return new Promise((resolve) =>
    execFile(
      join(REPO_ROOT, "bin", "cpuidctl"),
      ["audit", "-f", file, "-o", "json"],
      { env: { ...process.env, NATS_URL: info.natsUrl, CPUID_FLEET_CREDS_DIR: info.credsDir } },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

const NS = "e2e-domain-policy";
let controller: ControllerProcess;
let big: SimHost;
let small: SimHost;

beforeAll(async () => {
  await Promise.all([ensureNamespace(NS), ensureNamespace(LEASE_NAMESPACE)]);
  [big, small] = await Promise.all([startSimHost("e2e-spr", SAPPHIRE_RAPIDS), startSimHost("e2e-hsw", HASWELL)]);
  controller = await startController("e2e-1");
  await eventually("controller leads", async () => expect(await controller.isLeader()).toBe(true));
});

afterAll(async () => {
  await controller?.stop();
  await Promise.all([big?.agent.stop(), small?.agent.stop()]);
});

const ready = (o: Parameters<typeof condition>[0]) => condition(o, "Ready")?.status === "True";

describe("DomainCpuidPolicy end to end", () => {
  it("a valid policy for a domain not started yet is Applied (Active) within seconds", async () => {
    await createDomain(big, "vm-created", "created");
    const t0 = Date.now();
    await applyDomainPolicy("created", NS, { host: big.hostId, domain: "vm-created", guestType: "hvm", disable: ["avx512-vbmi2"] });
    const obj = await waitForDomainPolicy("created", NS, "Ready", ready, 10_000);
    const elapsed = Date.now() - t0;
    expect(condition(obj, "Audited")).toMatchObject({ status: "True", reason: "AuditPassed" });
    expect(condition(obj, "Applied")).toMatchObject({ status: "True", reason: "Applied" });
    expect(obj.status).toMatchObject({ activation: "Active", observedGeneration: 1 });
    expect(obj.status?.appliedHash).toBe(obj.status?.policyHash);
    expect(obj.status?.removedFeatures).toEqual(["avx512-vbmi2"]);
    expect(elapsed).toBeLessThan(5_000);
    const table = await kubectlOk(["get", "dcp", "created", "-n", NS]);
    expect(table).toMatch(/HOST\s+DOMAIN\s+GUEST\s+AUDITED\s+APPLIED\s+ACTIVATION\s+AGE/);
    expect(table).toMatch(/e2e-spr\s+vm-created\s+hvm\s+True\s+True\s+Active/);
    const events = await eventsFor("created", NS);
    expect(events.map((e) => e.reason)).toContain("Applied");
  });

  it("a policy for a running domain is Staged: it takes effect at the next start", async () => {
    await createDomain(big, "vm-running", "running");
    await applyDomainPolicy("running", NS, { host: big.hostId, domain: "vm-running", guestType: "hvm", disable: ["rdrand"] });
    const obj = await waitForDomainPolicy("running", NS, "Ready", ready, 10_000);
    expect(condition(obj, "Applied")).toMatchObject({ status: "True", reason: "Staged" });
    expect(obj.status).toMatchObject({ activation: "Staged", domainState: "running" });
    expect((await eventsFor("running", NS)).map((e) => e.reason)).toContain("Staged");
  });

  it("enabling a feature outside the host's max fails the audit: finding, Warning event, metric", async () => {
    const before = metricValue(await controller.metrics(), "cpuid_audit_failures_total", { reason: "AuditFailed" });
    await applyDomainPolicy("too-much", NS, { host: small.hostId, domain: "vm-x", guestType: "hvm", enable: ["avx512f"] });
    const obj = await waitForDomainPolicy("too-much", NS, "Audited=False", (o) => condition(o, "Audited")?.status === "False");
    expect(condition(obj, "Audited")?.reason).toBe("AuditFailed");
    expect(condition(obj, "Audited")?.message).toContain("avx512f");
    expect(condition(obj, "Applied")).toMatchObject({ status: "False", reason: "NotAudited" });
    expect(obj.status?.findings?.find((f) => f.code === "feature-not-in-max")?.features).toContain("avx512f");
    await eventually("Warning event", async () => {
      const events = await eventsFor("too-much", NS);
      expect(events).toContainEqual(expect.objectContaining({ type: "Warning", reason: "AuditFailed" }));
    });
    await eventually("metric", async () => {
      expect(metricValue(await controller.metrics(), "cpuid_audit_failures_total", { reason: "AuditFailed" })).toBe(before + 1);
    });
    // a resync does not count it again
    await kubectlOk(["annotate", "dcp", "too-much", "-n", NS, "touched=1", "--overwrite"]);
    await new Promise((r) => setTimeout(r, 500));
    expect(metricValue(await controller.metrics(), "cpuid_audit_failures_total", { reason: "AuditFailed" })).toBe(before + 1);
  });

  it("cpuidctl audit -f (the dry run) gives the controller's findings and exit codes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dry-run-"));
    const failing = join(dir, "failing.yaml");
    writeFileSync(failing, domainPolicyYaml("too-much", NS, { host: small.hostId, domain: "vm-x", guestType: "hvm", enable: ["avx512f"] }));
    const r = await cpuidctlAudit(failing);
    expect(r.code, r.stderr).toBe(1);
    const out = JSON.parse(r.stdout);
    const live = await getDomainPolicy("too-much", NS);
    expect(out.ok).toBe(false);
    expect(out.results[0].findings).toEqual(live.status?.findings);
    expect(out.results[0].policyHash).toBe(live.status?.policyHash);

    const clean = join(dir, "clean.yaml");
    writeFileSync(clean, domainPolicyYaml("fine", NS, { host: big.hostId, domain: "vm-y", guestType: "hvm", enable: ["avx512f"] }));
    expect((await cpuidctlAudit(clean)).code).toBe(0);

    const unknownHost = join(dir, "unknown.yaml");
    writeFileSync(unknownHost, domainPolicyYaml("nowhere", NS, { host: "no-such-host", domain: "vm", guestType: "hvm" }));
    const u = await cpuidctlAudit(unknownHost);
    expect(u.code).toBe(2);
    expect(u.stderr).toContain("no-such-host has not published policies");

    const typo = join(dir, "typo.yaml");
    writeFileSync(typo, domainPolicyYaml("typo", NS, { host: big.hostId, domain: "vm", guestType: "hvm", enable: ["avx512ff"] }));
    expect((await cpuidctlAudit(typo)).code).toBe(2);
  });

  it("kubectl apply refuses a misspelt feature, enable+disable of one feature, and pool without baseline pool", async () => {
    const bad = async (spec: Record<string, unknown>) => {
      const r = await kubectl(["apply", "-f", "-"], {
        stdin: JSON.stringify({ apiVersion: "cpuidfleet.io/v1alpha1", kind: "DomainCpuidPolicy", metadata: { name: "bad", namespace: NS }, spec }),
      });
      expect(r.status).not.toBe(0);
      return r.stderr;
    };
    expect(await bad({ host: "h", domain: "d", guestType: "hvm", enable: ["avx512ff"] })).toMatch(/spec\.enable\[0\]: Unsupported value: "avx512ff"/);
    expect(await bad({ host: "h", domain: "d", guestType: "hvm", enable: ["avx2"], disable: ["avx2"] })).toContain("a feature may not be both enabled and disabled");
    expect(await bad({ host: "h", domain: "d", guestType: "hvm", pool: "p" })).toContain("spec.pool is only valid with spec.baseline: pool");
    expect(await bad({ host: "h", domain: "d", guestType: "hvm", baseline: "pool" })).toContain("spec.pool is required when spec.baseline is pool");
    expect(await bad({ host: "h", domain: "d", guestType: "kvm" })).toContain("Unsupported value");
  });

  it("a host whose agent is down gives HostUnavailable, and the policy is applied once the agent is back", async () => {
    const host = await startSimHost("e2e-flaky", SAPPHIRE_RAPIDS);
    await createDomain(host, "vm-f", "created");
    await eventually("host known", async () => expect((await kubectlOk(["get", "hcp", "e2e-flaky", "-o", "json"])).length).toBeGreaterThan(0));
    await host.agent.stop();
    await applyDomainPolicy("flaky", NS, { host: host.hostId, domain: "vm-f", guestType: "hvm" });
    const down = await waitForDomainPolicy("flaky", NS, "HostUnavailable", (o) => condition(o, "Applied")?.reason === "HostUnavailable");
    expect(condition(down, "Applied")?.status).toBe("False");
    expect(condition(down, "Ready")?.reason).toBe("HostUnavailable");
    expect(down.status?.activation).toBe("Pending");
    expect((await eventsFor("flaky", NS)).map((e) => e.reason)).toContain("HostUnavailable");
    const back = await restartSimHost(host, SAPPHIRE_RAPIDS);
    try {
      const obj = await waitForDomainPolicy("flaky", NS, "Ready after recovery", ready, 15_000);
      expect(condition(obj, "Applied")?.reason).toBe("Applied");
    } finally {
      await back.agent.stop();
    }
  });

  it("a host whose max shrinks under an applied policy turns it Audited=False HostPolicyChanged", async () => {
    const host = await startSimHost("e2e-shrink", SAPPHIRE_RAPIDS);
    await createDomain(host, "vm-s", "created");
    await applyDomainPolicy("shrink", NS, { host: host.hostId, domain: "vm-s", guestType: "hvm", enable: ["avx512f"] });
    await waitForDomainPolicy("shrink", NS, "Ready", ready);
    const before = metricValue(await controller.metrics(), "cpuid_audit_failures_total", { reason: "HostPolicyChanged" });
    // same host id, now publishing a CPU without AVX-512 (as after a microcode or Xen change)
    const shrunk = await restartSimHost(host, HASWELL);
    try {
      const obj = await waitForDomainPolicy("shrink", NS, "HostPolicyChanged", (o) => condition(o, "Audited")?.reason === "HostPolicyChanged");
      expect(condition(obj, "Audited")?.status).toBe("False");
      expect(condition(obj, "Ready")).toMatchObject({ status: "False", reason: "HostPolicyChanged" });
      // the domain still has the policy it was given
      expect(condition(obj, "Applied")?.status).toBe("True");
      expect(obj.status?.findings?.some((f) => f.features.includes("avx512f"))).toBe(true);
      await eventually("metric", async () =>
        expect(metricValue(await controller.metrics(), "cpuid_audit_failures_total", { reason: "HostPolicyChanged" })).toBe(before + 1),
      );
    } finally {
      await shrunk.agent.stop();
    }
  });

  it("serves /metrics with every controller metric, /healthz and /readyz", async () => {
    const text = await controller.metrics();
    for (const name of [
      "cpuid_audit_failures_total",
      "cpuid_domain_policies",
      "cpuid_set_policy_duration_seconds_bucket",
      "cpuid_reconcile_duration_seconds_bucket",
      "cpuid_workqueue_depth",
      "cpuid_hosts",
      "cpuid_host_policy_age_seconds",
      "cpuid_events_dropped_total",
    ]) {
      expect(text, name).toMatch(new RegExp(`^${name}[{ ]`, "m"));
    }
    expect(metricValue(text, "cpuid_domain_policies", { condition: "Ready", status: "True" })).toBeGreaterThan(0);
    expect(metricValue(text, "cpuid_hosts", { state: "ready" })).toBeGreaterThanOrEqual(2);
    for (const path of ["/healthz", "/readyz"]) {
      expect((await fetch(`${controller.metricsUrl}${path}`)).status).toBe(200);
    }
  });

  it("mirrors each host as a HostCpuidPolicy with Ready/Stale conditions", async () => {
    const hcp = JSON.parse(await kubectlOk(["get", "hcp", big.hostId, "-o", "json"]));
    expect(hcp.status).toMatchObject({ hostId: big.hostId, vendor: "intel" });
    expect(hcp.status.policies.hvm_max.featureCount).toBeGreaterThan(100);
    expect(hcp.status.conditions.find((c: { type: string }) => c.type === "Ready").status).toBe("True");
    const table = await kubectlOk(["get", "hcp"]);
    expect(table).toMatch(/NAME\s+VENDOR\s+FAMILY\s+MODEL\s+HVM-MAX\s+HVM-DEFAULT\s+READY\s+STALE\s+AGE/);
    // the cpuid category lists both kinds
    const all = await kubectlOk(["get", "cpuid", "-A", "-o", "name"]);
    expect(all).toContain(`hostcpuidpolicy.cpuidfleet.io/${big.hostId}`);
    expect(all).toContain("domaincpuidpolicy.cpuidfleet.io/created");
  });

  it("a second policy for an already governed domain reports Conflict, and deleting it leaves the domain alone", async () => {
    await applyDomainPolicy("dup", NS, { host: big.hostId, domain: "vm-created", guestType: "hvm", disable: ["rdrand"] });
    const dup = await waitForDomainPolicy("dup", NS, "Conflict", (o) => condition(o, "Applied")?.reason === "Conflict");
    expect(condition(dup, "Applied")?.message).toContain(`${NS}/created`);
    const owner = await getDomainPolicy("created", NS);
    expect(condition(owner, "Ready")?.status).toBe("True");
    await kubectlOk(["delete", "dcp", "dup", "-n", NS, "--timeout=20s"]);
    const nc = await connectNats("admin");
    try {
      const info = await requestHost(nc, big.hostId, "get", { hostId: big.hostId, domain: "vm-created" });
      expect(info.domain.activeHash).toBe(owner.status?.appliedHash);
    } finally {
      await nc.close();
    }
  });

  it("deleting a policy resets the domain to the host default (dropping its staged policy); the controller adds no finalizer", async () => {
    const obj = await getDomainPolicy("running", NS);
    expect(obj.metadata.finalizers ?? []).toEqual([]);
    const nc = await connectNats("admin");
    try {
      const before = await requestHost(nc, big.hostId, "get", { hostId: big.hostId, domain: "vm-running" });
      expect(before.domain.stagedHash).toBe(obj.status?.appliedHash);
      expect(before.domain.resourceUid).toBe(obj.metadata.uid);
      await kubectlOk(["delete", "dcp", "running", "-n", NS, "--wait=true", "--timeout=20s"]);
      const hcp = JSON.parse(await kubectlOk(["get", "hcp", big.hostId, "-o", "json"]));
      await eventually("domain reset", async () => {
        const after = await requestHost(nc, big.hostId, "get", { hostId: big.hostId, domain: "vm-running" });
        // the running domain keeps what it booted with (the host default) and nothing is staged any more
        expect(after.domain.state).toBe("running");
        expect(after.domain.stagedHash).toBeUndefined();
        expect(after.domain.activeHash).toBe(hcp.status.policies.hvm_default.hash);
      });
    } finally {
      await nc.close();
    }
    await eventually("ResetToDefault event", async () => {
      const events = await eventsFor("running", NS);
      expect(events.find((e) => e.reason === "ResetToDefault")?.note).toContain("host default");
    });
    // it already runs the default, so the reset withdraws the staged policy and answers "applied"
    expect(metricValue(await controller.metrics(), "cpuid_domain_resets_total", { result: "applied" })).toBeGreaterThanOrEqual(1);
  });

  it("moving a policy to another domain resets the domain it left", async () => {
    await createDomain(big, "vm-left", "created");
    await createDomain(big, "vm-moved-to", "created");
    await applyDomainPolicy("mover", NS, { host: big.hostId, domain: "vm-left", guestType: "hvm", disable: ["rdrand"] });
    const first = await waitForDomainPolicy("mover", NS, "Ready", ready);
    await applyDomainPolicy("mover", NS, { host: big.hostId, domain: "vm-moved-to", guestType: "hvm", disable: ["rdrand"] });
    await waitForDomainPolicy("mover", NS, "Ready at generation 2", (o) => ready(o) && o.status?.observedGeneration === 2);
    const hcp = JSON.parse(await kubectlOk(["get", "hcp", big.hostId, "-o", "json"]));
    const nc = await connectNats("admin");
    try {
      await eventually("left domain reset", async () => {
        const left = await requestHost(nc, big.hostId, "get", { hostId: big.hostId, domain: "vm-left" });
        expect(left.domain.activeHash).toBe(hcp.status.policies.hvm_default.hash);
      });
      const moved = await requestHost(nc, big.hostId, "get", { hostId: big.hostId, domain: "vm-moved-to" });
      expect(moved.domain.activeHash).toBe(first.status?.appliedHash);
    } finally {
      await nc.close();
    }
  });

  it("a policy deleted while no controller runs is reset by the next controller to lead; a policy set by hand is left alone", async () => {
    await createDomain(big, "vm-offline", "created");
    await createDomain(big, "vm-by-hand", "created");
    await applyDomainPolicy("offline", NS, { host: big.hostId, domain: "vm-offline", guestType: "hvm", disable: ["rdrand"] });
    const applied = await waitForDomainPolicy("offline", NS, "Ready", ready);
    await controller.stop();
    await kubectlOk(["delete", "dcp", "offline", "-n", NS, "--timeout=20s"]);
    const nc = await connectNats("admin");
    try {
      const held = await requestHost(nc, big.hostId, "get", { hostId: big.hostId, domain: "vm-offline" });
      expect(held.domain.activeHash).toBe(applied.status?.appliedHash);
      // an operator gives another domain the same (non-default) policy directly: no resource uid
      const byHand = { hostId: big.hostId, domain: "vm-by-hand", guestType: "hvm", policy: held.domain.activePolicy, policyHash: held.domain.activeHash, requestId: "by-hand", generation: 0 };
      expect(await requestHost(nc, big.hostId, "set", byHand)).toMatchObject({ ok: true, result: "applied" });
      controller = await startController("e2e-2");
      const hcp = JSON.parse(await kubectlOk(["get", "hcp", big.hostId, "-o", "json"]));
      await eventually("domain reset by the new leader", async () => {
        const after = await requestHost(nc, big.hostId, "get", { hostId: big.hostId, domain: "vm-offline" });
        expect(after.domain.activeHash).toBe(hcp.status.policies.hvm_default.hash);
      }, 20_000);
      const untouched = await requestHost(nc, big.hostId, "get", { hostId: big.hostId, domain: "vm-by-hand" });
      expect(untouched.domain.activeHash).toBe(applied.status?.appliedHash);
    } finally {
      await nc.close();
    }
    // the policies that still exist keep their domains' policies
    const created = await getDomainPolicy("created", NS);
    const nc2 = await connectNats("admin");
    try {
      const kept = await requestHost(nc2, big.hostId, "get", { hostId: big.hostId, domain: "vm-created" });
      expect(kept.domain.activeHash).toBe(created.status?.appliedHash);
    } finally {
      await nc2.close();
    }
  });
});
