// The demo README's flow, end to end with the real CLI, kubectl, controller
// and agent processes: a policy staged for a domain (running, or not created
// yet), the domain restarted or created with `cpuidctl sim`, the policy
// deleted with kubectl. The domain must go back to the host default, with the
// ResetToDefault event and the resets metric. The domain's start turns its
// staged policy Active through the agent's domain event, not the periodic
// staged refresh.

import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIM_STATE_FILE } from "../../agent/backends/sim.ts";
import { connectNats } from "../harness/context.ts";
import { REPO_ROOT } from "../../devenv/repo-root.ts";
import { LEASE_NAMESPACE, type ControllerProcess } from "../../devenv/daemons/controller.ts";
import { requestHost } from "../support/daemons.ts";
import {
  HASWELL,
  applyDomainPolicy,
  condition,
  createDomain,
  ensureNamespace,
  eventsFor,
  eventually,
  kubectlOk,
  metricValue,
  restartSimHost,
  startController,
  startSimHost,
  waitForDomainPolicy,
  type SimHost,
} from "./fleet.ts";

const NS = "e2e-reset-after-restart";
let controller: ControllerProcess;
let host: SimHost;

/** `cpuidctl sim <verb> <domain> --state-dir <dir>`, as an operator types it. */
function cpuidctlSim(verb: "create" | "start" | "stop", domain: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(join(REPO_ROOT, "bin", "cpuidctl"), ["sim", verb, domain, "--state-dir", host.stateDir], (err, stdout, stderr) =>
      err ? reject(new Error(`cpuidctl sim ${verb} ${domain}: ${stderr}`)) : resolve(stdout),
    ),
  );
}

async function agentDomain(domain: string): Promise<{ state: string; activeHash?: string; stagedHash?: string; resourceUid?: string }> {
  const nc = await connectNats("admin");
  try {
    return (await requestHost(nc, host.hostId, "get", { hostId: host.hostId, domain })).domain;
  } finally {
    await nc.close();
  }
}

/** The host's HVM default as its HostCpuidPolicy shows it, once the controller has written that status. */
async function hvmDefaultHash(): Promise<string> {
  let hash = "";
  await eventually("the HostCpuidPolicy's status shows the host's policies", async () => {
    hash = JSON.parse(await kubectlOk(["get", "hcp", host.hostId, "-o", "json"])).status?.policies?.hvm_default?.hash ?? "";
    expect(hash).toMatch(/^sha256:/);
  });
  return hash;
}

const resets = async (result: string) => metricValue(await controller.metrics(), "cpuid_domain_resets_total", { result });

beforeAll(async () => {
  await Promise.all([ensureNamespace(NS), ensureNamespace(LEASE_NAMESPACE)]);
  host = await startSimHost("e2e-restart-hsw", HASWELL);
  // a staged refresh far beyond the test's waits: Staged turns Active only through the agent's domain event
  controller = await startController("e2e-reset", { args: ["--staged-refresh=600"] });
  await eventually("controller leads", async () => expect(await controller.isLeader()).toBe(true));
});

afterAll(async () => {
  await controller?.stop();
  await host?.agent.stop();
});

describe("deleting a policy after its domain picked it up at a (re)start", () => {
  it("sim stop + sim start of a running domain: the staged policy turns Active, and kubectl delete resets the domain", async () => {
    await createDomain(host, "web-1", "running");
    await applyDomainPolicy("haswell-web-1", NS, { host: host.hostId, domain: "web-1", guestType: "hvm", disable: ["rdrand"] });
    const staged = await waitForDomainPolicy("haswell-web-1", NS, "Staged", (o) => o.status?.activation === "Staged");
    expect(condition(staged, "Applied")?.reason).toBe("Staged");

    await cpuidctlSim("stop", "web-1");
    await cpuidctlSim("start", "web-1");
    const active = await waitForDomainPolicy("haswell-web-1", NS, "Active", (o) => o.status?.activation === "Active");
    const started = await agentDomain("web-1");
    expect(started).toMatchObject({ state: "running", activeHash: active.status?.appliedHash, resourceUid: active.metadata.uid });

    const before = await resets("staged");
    await kubectlOk(["delete", "dcp", "haswell-web-1", "-n", NS, "--wait=true", "--timeout=20s"]);
    const def = await hvmDefaultHash();
    await eventually("web-1 gets the host default staged for its next start", async () => {
      const after = await agentDomain("web-1");
      expect(after.state).toBe("running");
      expect(after.activeHash).toBe(active.status?.appliedHash);
      expect(after.stagedHash).toBe(def);
    });
    await eventually("ResetToDefault event", async () => {
      const event = (await eventsFor("haswell-web-1", NS)).find((e) => e.reason === "ResetToDefault");
      expect(event?.note).toContain("host default staged");
    });
    expect(await resets("staged")).toBe(before + 1);

    await cpuidctlSim("stop", "web-1");
    await cpuidctlSim("start", "web-1");
    const restarted = await agentDomain("web-1");
    expect(restarted).toMatchObject({ state: "running", activeHash: def });
    expect(restarted.stagedHash).toBeUndefined();
  });

  it("sim create of a domain whose policy was staged before it existed: deleting the policy resets it at once", async () => {
    await applyDomainPolicy("haswell-web-2", NS, { host: host.hostId, domain: "web-2", guestType: "hvm", disable: ["rdrand"] });
    await waitForDomainPolicy("haswell-web-2", NS, "Staged", (o) => o.status?.activation === "Staged" && o.status.domainState === "absent");

    await cpuidctlSim("create", "web-2");
    const active = await waitForDomainPolicy("haswell-web-2", NS, "Active", (o) => o.status?.activation === "Active");
    expect(await agentDomain("web-2")).toMatchObject({ state: "paused", activeHash: active.status?.appliedHash, resourceUid: active.metadata.uid });

    const before = await resets("applied");
    await kubectlOk(["delete", "dcp", "haswell-web-2", "-n", NS, "--wait=true", "--timeout=20s"]);
    const def = await hvmDefaultHash();
    await eventually("web-2, never unpaused, gets the host default at once", async () => {
      const reset = await agentDomain("web-2");
      expect(reset).toMatchObject({ state: "paused", activeHash: def });
      expect(reset.stagedHash).toBeUndefined();
    });
    await eventually("ResetToDefault event", async () => {
      const event = (await eventsFor("haswell-web-2", NS)).find((e) => e.reason === "ResetToDefault");
      expect(event?.note).toContain("host default applied");
    });
    expect(await resets("applied")).toBe(before + 1);
  });

  it("a domain whose record lost its resource uid (an older agent's) is reported, not skipped silently", async () => {
    await createDomain(host, "db-1", "created");
    await applyDomainPolicy("haswell-db-1", NS, { host: host.hostId, domain: "db-1", guestType: "hvm", disable: ["rdrand"] });
    const active = await waitForDomainPolicy("haswell-db-1", NS, "Active", (o) => o.status?.activation === "Active");
    await host.agent.stop();
    const file = join(host.stateDir, SIM_STATE_FILE);
    const state = JSON.parse(readFileSync(file, "utf8")) as { domains: { name: string; resourceUid?: string }[] };
    delete state.domains.find((d) => d.name === "db-1")!.resourceUid;
    writeFileSync(file, JSON.stringify(state));
    host = await restartSimHost(host, HASWELL);

    const undecided = async () => metricValue(await controller.metrics(), "cpuid_domain_resets_undecided_total", { reason: "no-provenance" });
    const before = await undecided();
    await kubectlOk(["delete", "dcp", "haswell-db-1", "-n", NS, "--wait=true", "--timeout=20s"]);
    await eventually("ResetUndecided Warning event", async () => {
      const event = (await eventsFor("haswell-db-1", NS)).find((e) => e.reason === "ResetUndecided");
      expect(event).toMatchObject({ type: "Warning" });
      expect(event?.note).toContain("domain db-1 on e2e-restart-hsw is not reset to the host default");
    });
    expect(await undecided()).toBe(before + 1);
    expect(controller.log()).toMatch(/"host":"e2e-restart-hsw","domain":"db-1","policy":"e2e-reset-after-restart\/haswell-db-1","reason":"no-provenance"/);
    expect((await agentDomain("db-1")).activeHash).toBe(active.status?.appliedHash);
  });
});
