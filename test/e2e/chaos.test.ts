// Chaos under load, small (bench/chaos.ts runs it at 10,000 policies / 1,000
// hosts): 500 DomainCpuidPolicies over 50 simulated hosts, created while the
// leading controller is killed, the kube-apiserver restarts, a NATS node is
// killed and restarted and 10 % of the hosts are killed (-9) and restarted.
// Judged from the hosts' own state files: nothing lost, nothing installed
// twice, nothing installed into the wrong domain, final state as desired.

import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { runChaos } from "../../bench/chaos/scenario.ts";
import { scratchDir } from "../../bench/fleet/fleet-setup.ts";
import { attachPlane, planeInfo } from "../harness/context.ts";
import { kubectlOk } from "./fleet.ts";

const POLICIES = 500;
const HOSTS = 50;
const dir = scratchDir("cpuid-fleet-chaos-");

const NAMESPACE = "e2e-chaos";
const HOST_PREFIX = "chaos-";

// The plane has no namespace controller: the policies and the hosts' mirrors
// are deleted here, and the emptied namespace finalized, so that nothing of
// this run stays for the tests after it.
afterAll(async () => {
  await kubectlOk(["delete", "dcp", "--all", "-n", NAMESPACE, "--ignore-not-found"]);
  const hosts = (await kubectlOk(["get", "hcp", "-o", "name"])).split("\n").filter((n) => n.startsWith(`hostcpuidpolicy.cpuidfleet.io/${HOST_PREFIX}`));
  if (hosts.length > 0) await kubectlOk(["delete", ...hosts]);
  if ((await kubectlOk(["get", "namespace", NAMESPACE, "-o", "name", "--ignore-not-found"])).trim() !== "") {
    await kubectlOk(["delete", "namespace", NAMESPACE, "--wait=false"]);
    await kubectlOk(["replace", "--raw", `/api/v1/namespaces/${NAMESPACE}/finalize`, "-f", "-"], {
      stdin: JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE }, spec: { finalizers: [] } }),
    });
  }
  rmSync(dir, { recursive: true, force: true });
});

describe("chaos under load", () => {
  it("500 policies on 50 hosts through a leader kill, an apiserver restart, a NATS node kill and 10 % of agents killed: none lost, none twice, none misapplied, final state as desired", { timeout: 600_000 }, async () => {
    const r = await runChaos({
      plane: planeInfo(),
      restartApiserver: () => attachPlane().restartComponent("kube-apiserver"),
      namespace: NAMESPACE,
      hostPrefix: HOST_PREFIX,
      policies: POLICIES,
      hosts: HOSTS,
      pools: 1,
      killShare: 0.1,
      faultAt: { "leader-kill": 4, "apiserver-restart": 8, "nats-node-kill": 12, "agent-kill": 16 },
      natsDownSeconds: 3,
      createSeconds: 15,
      controllerWorkers: 8,
      requestTimeoutSeconds: 2,
      agentNice: 0,
      heartbeatSeconds: 5,
      convergeTimeoutSeconds: 240,
      dir,
      say: (line) => console.log(`[chaos] ${line}`),
    });
    console.log(`[chaos] converged ${r.convergenceSeconds?.toFixed(1) ?? "never"} s after the last fault; ${r.verdict.installations} installations; ${r.apiRetries} API calls retried`);
    expect(r.faults.map((f) => f.fault).sort()).toEqual(["agent-kill", "apiserver-restart", "leader-kill", "nats-node-kill"]);
    expect(r.verdict.lost).toEqual([]);
    expect(r.verdict.appliedTwice).toEqual([]);
    expect(r.verdict.misapplied).toEqual([]);
    expect(r.verdict.notAsDesired).toEqual([]);
    expect(r.ready).toBe(POLICIES);
    expect(r.convergenceSeconds).toBeDefined();
  });
});
