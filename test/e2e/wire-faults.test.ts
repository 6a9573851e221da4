// Faults on the wire: toxiproxy between the agents and nats-server and between
// the controller and the kube-apiserver. Under latency and bandwidth limits,
// dropped connections, reset peers and timeouts, while policies are created,
// changed and deleted, the fleet converges; a silent host shows as Applied
// False/HostUnavailable on its policies and Stale on its HostCpuidPolicy while
// the other hosts' policies keep reconciling; and each agent's own counters
// and records show every change applied once, on the right domain.

import { readFileSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControllerProcess, LEASE_NAMESPACE } from "../../devenv/daemons/controller.ts";
import type { AgentProcess } from "../../devenv/daemons/agent.ts";
import { ensureBinaries } from "../../devenv/toolchain/ensure.ts";
import { hostPort, type Proxy, Toxiproxy } from "../../devenv/toxiproxy.ts";
import { simAdmin } from "../../cli/sim-admin-client.ts";
import type { DomainCpuidPolicyObject } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import type { DomainInfoSummary } from "../../shared/schemas/agent-messages.ts";
import { attachPlane, planeInfo } from "../harness/context.ts";
import { startAgent } from "../support/daemons.ts";
import { condition, domainPolicyYaml, ensureNamespace, eventually, HASWELL, kubectlOk, metricValue, startController } from "./fleet.ts";

const NS = "e2e-wire-faults";
const TALKING = ["wf-a", "wf-b"];
const SILENT = "wf-silent";
const HOSTS = [...TALKING, SILENT];
const PER_HOST = 8;
const DELETED = 2;
const LATE = 2;

let toxiproxy: Toxiproxy;
let natsProxy: Proxy;
let silentProxy: Proxy;
let apiProxy: Proxy;
let controller: ControllerProcess;
const agents = new Map<string, AgentProcess>();

const policyName = (host: string, i: number) => `${host}-vm-${i}`;

/** The plane's admin kubeconfig with its server swapped for the proxy (the apiserver's certificate names 127.0.0.1, any port). */
function proxiedKubeconfig(listen: string): string {
  const info = planeInfo();
  const config = parse(readFileSync(info.kubeconfig, "utf8")) as { clusters: { cluster: { server: string } }[] };
  for (const c of config.clusters) c.cluster.server = `https://${listen}`;
  const path = `${info.kubeconfig}.wire-faults`;
  writeFileSync(path, stringify(config), { mode: 0o600 });
  return path;
}

function applyPolicies(host: string, indices: number[], disable: string[]): Promise<string> {
  const docs = indices.map((i) => domainPolicyYaml(policyName(host, i), NS, { host, domain: `vm-${i}`, guestType: "hvm", disable }));
  return kubectlOk(["apply", "-f", "-"], { stdin: docs.join("\n") });
}

async function policies(): Promise<DomainCpuidPolicyObject[]> {
  return (JSON.parse(await kubectlOk(["get", "dcp", "-n", NS, "-o", "json"])) as { items: DomainCpuidPolicyObject[] }).items;
}

/** Ready for the spec it has now (the status is about the current generation). */
const current = (o: DomainCpuidPolicyObject) =>
  condition(o, "Ready")?.status === "True" && o.status?.observedGeneration === o.metadata.generation && o.status?.appliedHash === o.status?.policyHash;

async function expectConverged(hosts: readonly string[], indices: number[]): Promise<void> {
  const items = await policies();
  for (const host of hosts) {
    for (const i of indices) {
      const o = items.find((p) => p.metadata.name === policyName(host, i));
      expect(o && current(o), `${policyName(host, i)} Ready for its generation`).toBe(true);
    }
  }
}

const appliedSets = async (host: string) => metricValue(await agents.get(host)!.metrics(), "cpuid_agent_requests_total", { op: "set", result: "applied" });

beforeAll(async () => {
  const info = planeInfo();
  toxiproxy = await Toxiproxy.start((await ensureBinaries(["toxiproxy-server"]))["toxiproxy-server"].path);
  natsProxy = await toxiproxy.createProxy("nats", hostPort(info.natsUrl));
  silentProxy = await toxiproxy.createProxy("nats-silent", hostPort(info.natsUrl));
  apiProxy = await toxiproxy.createProxy("apiserver", hostPort(info.apiserverUrl));
  await Promise.all([ensureNamespace(NS), ensureNamespace(LEASE_NAMESPACE)]);
  for (const host of HOSTS) {
    const seedFile = await attachPlane().addNatsHost(host);
    const natsUrl = `nats://${host === SILENT ? silentProxy.listen : natsProxy.listen}`;
    const agent = await startAgent({ hostId: host, natsUrl, seedFile, profile: HASWELL, args: ["--heartbeat-interval", "1"] });
    agents.set(host, agent);
    for (let i = 0; i < PER_HOST + LATE; i++) await simAdmin(agent.stateDir, "create", `vm-${i}`, "hvm");
  }
  controller = await startController("wire-1", { kubeconfig: proxiedKubeconfig(apiProxy.listen), args: [`--nats-url=nats://${natsProxy.listen}`] });
  await eventually("controller leads", async () => expect(await controller.isLeader()).toBe(true), 30_000);
});

afterAll(async () => {
  await controller?.stop();
  await Promise.all([...agents.values()].map((a) => a.stop()));
  await toxiproxy?.stop();
  await kubectlOk(["delete", "hcp", ...HOSTS, "--ignore-not-found"]).catch(() => undefined);
});

describe("faults on the wire (toxiproxy)", () => {
  it("converges under latency and bandwidth limits on both paths", async () => {
    for (const proxy of [natsProxy.name, silentProxy.name, apiProxy.name]) {
      await toxiproxy.addToxic(proxy, { name: "latency", spec: { type: "latency", attributes: { latency: 100, jitter: 50 } } });
      await toxiproxy.addToxic(proxy, { name: "bandwidth", spec: { type: "bandwidth", attributes: { rate: 256 } } });
    }
    for (const host of HOSTS) await applyPolicies(host, range(0, PER_HOST), ["rdrand"]);
    await eventually("every policy Ready through the slow wire", () => expectConverged(HOSTS, range(0, PER_HOST)), 90_000, 500);
  });

  it("a silent host shows on its policies and its HostCpuidPolicy while the others keep reconciling", async () => {
    await toxiproxy.setEnabled(silentProxy.name, false);
    for (const host of HOSTS) await applyPolicies(host, range(0, PER_HOST), ["rdrand", "rdseed"]);
    await eventually("the talking hosts' changes Ready", () => expectConverged(TALKING, range(0, PER_HOST)), 90_000, 500);
    await eventually(
      "the silent host's policies say why they wait",
      async () => {
        const silent = (await policies()).filter((o) => o.spec.host === SILENT);
        expect(silent).toHaveLength(PER_HOST);
        for (const o of silent) expect(condition(o, "Applied")?.reason, o.metadata.name).toBe("HostUnavailable");
        const hcp = JSON.parse(await kubectlOk(["get", "hcp", SILENT, "-o", "json"])) as { status?: { conditions?: { type: string; status: string }[] } };
        expect(hcp.status?.conditions?.find((c) => c.type === "Stale")?.status).toBe("True");
      },
      60_000,
      500,
    );
  });

  it("with dropped connections, reset peers and apiserver timeouts during creates, changes and deletes, converges once the faults end", async () => {
    await toxiproxy.addToxic(natsProxy.name, { name: "reset", stream: "upstream", toxicity: 0.5, spec: { type: "reset_peer", attributes: { timeout: 2_000 } } });
    await toxiproxy.addToxic(apiProxy.name, { name: "timeout", toxicity: 0.3, spec: { type: "timeout", attributes: { timeout: 3_000 } } });
    for (const host of HOSTS) {
      await kubectlOk(["delete", "dcp", "-n", NS, ...range(0, DELETED).map((i) => policyName(host, i))]);
      await applyPolicies(host, range(PER_HOST, PER_HOST + LATE), ["rdrand"]);
    }
    await toxiproxy.setEnabled(natsProxy.name, false);
    await sleep(3_000);
    await toxiproxy.setEnabled(natsProxy.name, true);
    await sleep(5_000);
    await toxiproxy.reset();

    const kept = range(DELETED, PER_HOST + LATE);
    await eventually("every policy Ready for its generation after the last fault", () => expectConverged(HOSTS, kept), 120_000, 500);
    const items = await policies();
    expect(items.map((o) => o.metadata.name).sort()).toEqual(HOSTS.flatMap((h) => kept.map((i) => policyName(h, i))).sort());

    for (const host of HOSTS) {
      const domains = (await simAdmin(agents.get(host)!.stateDir, "list")) as DomainInfoSummary[];
      await eventually(`${host}: the deleted policies' domains reset`, async () => {
        const listed = (await simAdmin(agents.get(host)!.stateDir, "list")) as DomainInfoSummary[];
        for (const i of range(0, DELETED)) expect(listed.find((d) => d.domain === `vm-${i}`)?.resourceUid, `vm-${i} on ${host}`).toBeUndefined();
      });
      for (const i of kept) {
        const policy = items.find((o) => o.metadata.name === policyName(host, i))!;
        const domain = domains.find((d) => d.domain === `vm-${i}`);
        expect(domain?.resourceUid, `vm-${i} on ${host} set by ${policy.metadata.name}`).toBe(policy.metadata.uid);
        expect(domain?.activeHash, `vm-${i} on ${host} runs its policy`).toBe(policy.status?.policyHash);
      }
      // each create, change, late create and reset applied once (duplicates are answered as such, not applied
      // again); the silent host never saw the change of the policies deleted while it was silent
      const changes = host === SILENT ? PER_HOST - DELETED : PER_HOST;
      expect(await appliedSets(host), `${host}: applied sets`).toBe(PER_HOST + changes + LATE + DELETED);
    }
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, k) => from + k);
}
