// A 3-node NATS JetStream cluster (LocalNats: three nats-servers on loopback
// with routes, the cpuid-hosts bucket replicated ×3) under the controller and
// sim agents. The server the controller is connected to is killed (SIGKILL)
// while agents publish and the controller reconciles: no host entry is lost,
// agents and controller carry on through the other two servers, reconciles
// finish; the node restarted catches up with the bucket.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControllerProcess, LEASE_NAMESPACE } from "../../devenv/daemons/controller.ts";
import type { AgentProcess } from "../../devenv/daemons/agent.ts";
import { LocalNats } from "../../devenv/plane/nats-servers.ts";
import { httpGet } from "../../devenv/plane/readiness.ts";
import { simAdmin } from "../../cli/sim-admin-client.ts";
import { openHostsBucket } from "../../runtime/nats/hosts-bucket.ts";
import type { DomainCpuidPolicyObject } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { hostSeedFile, serviceSeedFile } from "../../shared/nats/credentials-layout.ts";
import { HOSTS_STREAM, hostKey } from "../../shared/nats/subjects.ts";
import { planeInfo } from "../harness/context.ts";
import { startAgent } from "../support/daemons.ts";
import { condition, domainPolicyYaml, ensureNamespace, eventually, FAST_CONTROLLER_FLAGS, HASWELL, kubectlOk, metricValue } from "./fleet.ts";

const NS = "e2e-nats-cluster";
const HOSTS = ["cl-a", "cl-b", "cl-c"];
const LATE_HOST = "cl-late";
const POLICIES_PER_HOST = 5;

let nats: LocalNats;
let controller: ControllerProcess;
const agents: AgentProcess[] = [];

function launchAgent(hostId: string): Promise<AgentProcess> {
  return startAgent({ hostId, natsUrl: nats.url, seedFile: hostSeedFile(nats.credsDir, hostId), profile: HASWELL, args: ["--heartbeat-interval", "1"] });
}

beforeAll(async () => {
  nats = await LocalNats.start({ binary: planeInfo().binaries["nats-server"], servers: 3, hosts: [...HOSTS, LATE_HOST] });
  await nats.createHostsBucket(3);
  await Promise.all([ensureNamespace(NS), ensureNamespace(LEASE_NAMESPACE)]);
  agents.push(...(await Promise.all(HOSTS.map(launchAgent))));
  for (const agent of agents) for (let i = 0; i < 3 * POLICIES_PER_HOST; i++) await simAdmin(agent.stateDir, "create", `vm-${i}`, "hvm");
  controller = await ControllerProcess.start({
    plane: planeInfo(),
    identity: "cluster-1",
    logFile: join(mkdtempSync(join(tmpdir(), "controller-cluster-")), "controller.log"),
    args: [...FAST_CONTROLLER_FLAGS, `--nats-url=${nats.url}`, `--nats-seed-file=${serviceSeedFile(nats.credsDir, "controller")}`, "--hosts-bucket-replicas=3"],
    readyTimeoutMs: 30_000,
  });
  await eventually("controller leads", async () => expect(await controller.isLeader()).toBe(true));
});

afterAll(async () => {
  await controller?.stop("SIGTERM");
  await Promise.all(agents.map((a) => a.stop()));
  await nats?.stop();
  await kubectlOk(["delete", "hcp", ...HOSTS, LATE_HOST, "--ignore-not-found"]).catch(() => undefined);
});

interface StreamState {
  messages: number;
  last_seq: number;
}

/** The hosts bucket's stream as server `i` holds it, and whether its replicas are current. */
interface StreamView {
  state: StreamState;
  cluster: { leader?: string; replicas?: { name: string; current: boolean }[] };
}

async function streamOn(i: number): Promise<StreamView> {
  const r = await httpGet(`${nats.monitorUrl(i)}/jsz?accounts=true&streams=true`);
  const jsz = JSON.parse(r.body) as { account_details?: { stream_detail?: (StreamView & { name: string })[] }[] };
  const stream = jsz.account_details?.flatMap((a) => a.stream_detail ?? []).find((s) => s.name === HOSTS_STREAM);
  if (!stream) throw new Error(`server ${i} has no ${HOSTS_STREAM}`);
  return stream;
}

/** The stream as its leader sees it (only the leader knows whether the other replicas are current). */
async function streamOnLeader(): Promise<StreamView> {
  for (let i = 0; i < nats.size; i++) {
    if (!nats.isRunning(i)) continue;
    const stream = await streamOn(i);
    if (stream.cluster.leader === serverName(i)) return stream;
  }
  throw new Error("no stream leader");
}

const serverName = (i: number) => `cpuid-fleet-n${i}`;

/** Names of the clients connected to server `i`. */
async function clientsOn(i: number): Promise<string[]> {
  const connz = JSON.parse((await httpGet(`${nats.monitorUrl(i)}/connz?limit=1000`)).body) as { connections?: { name?: string }[] };
  return (connz.connections ?? []).map((c) => c.name ?? "");
}

async function readyCount(prefix: string): Promise<number> {
  const list = JSON.parse(await kubectlOk(["get", "dcp", "-n", NS, "-o", "json"])) as { items: DomainCpuidPolicyObject[] };
  return list.items.filter((o) => o.metadata.name!.startsWith(prefix) && condition(o, "Ready")?.status === "True").length;
}

function applyPolicies(prefix: string, first: number): Promise<string> {
  const docs = HOSTS.flatMap((host) =>
    Array.from({ length: POLICIES_PER_HOST }, (_, j) => domainPolicyYaml(`${prefix}-${host}-${j}`, NS, { host, domain: `vm-${first + j}`, guestType: "hvm", disable: ["rdrand"] })),
  );
  return kubectlOk(["apply", "-f", "-"], { stdin: docs.join("\n") });
}

describe("3-node NATS JetStream cluster", () => {
  it("the hosts bucket is replicated on all three servers", async () => {
    for (let i = 0; i < 3; i++) {
      const stream = await eventually(`server ${i} holds the bucket`, () => streamOn(i));
      expect(stream.cluster.replicas).toHaveLength(2);
    }
  });

  it("killing the controller's server mid-reconcile: no entry lost, clients move to the others, reconciles finish; it catches up when back", async () => {
    const total = HOSTS.length * POLICIES_PER_HOST;
    await applyPolicies("before", 0);
    await eventually("the first policies Ready", async () => expect(await readyCount("before")).toBe(total), 30_000, 200);

    const controllerName = `cpuid-fleet-controller/cluster-1`;
    const victim = (await Promise.all([0, 1, 2].map(clientsOn))).findIndex((names) => names.includes(controllerName));
    expect(victim).toBeGreaterThanOrEqual(0);
    const survivor = (victim + 1) % 3;
    const reconnectsBefore = metricValue(await controller.metrics(), "cpuid_controller_nats_reconnects_total");

    await applyPolicies("during", POLICIES_PER_HOST);
    await nats.stopServer(victim, { kill: true });
    agents.push(await launchAgent(LATE_HOST));

    await eventually("every policy applied during the outage Ready", async () => expect(await readyCount("during")).toBe(total), 60_000, 200);
    await eventually("controller reconnected", async () => expect(metricValue(await controller.metrics(), "cpuid_controller_nats_reconnects_total")).toBeGreaterThan(reconnectsBefore));
    await eventually("every agent and the controller on the other servers", async () => {
      const names = (await Promise.all([0, 1, 2].filter((i) => i !== victim).map(clientsOn))).flat();
      for (const host of [...HOSTS, LATE_HOST]) expect(names).toContain(`cpuid-fleet-agent/${host}`);
      expect(names).toContain(controllerName);
    });

    const admin = await nats.connectAs("admin", nats.serverUrl(survivor));
    try {
      const kv = await openHostsBucket(admin);
      for (const host of [...HOSTS, LATE_HOST]) expect((await kv.get(hostKey(host)))?.operation).toBe("PUT");
    } finally {
      await admin.close();
    }
    await eventually("the late host mirrored", () => kubectlOk(["get", "hcp", LATE_HOST]));

    await nats.startServer(victim);
    await eventually(
      "the restarted server caught up",
      async () => {
        const [back, leader] = await Promise.all([streamOn(victim), streamOnLeader()]);
        expect(back.state.last_seq).toBe(leader.state.last_seq);
        expect(back.state.messages).toBe(leader.state.messages);
        const replicas = leader.cluster.replicas ?? [];
        expect(replicas).toHaveLength(2);
        expect(replicas.every((r) => r.current)).toBe(true);
      },
      30_000,
      200,
    );
    await applyPolicies("after", 2 * POLICIES_PER_HOST);
    await eventually("reconciles after the node is back", async () => expect(await readyCount("after")).toBe(total), 30_000, 200);
  });
});
