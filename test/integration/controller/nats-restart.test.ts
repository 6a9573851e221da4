// A nats-server restart is the controller's transport blinking, not every
// host going down: applied and staged policies keep their state (no
// Ready=False), no HostUnavailable events, and the controller says what
// happened in its log and its metrics.

import { spawn, type ChildProcess } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LEASE_NAMESPACE, type ControllerProcess } from "../../../devenv/daemons/controller.ts";
import { attachPlane, planeInfo } from "../../harness/context.ts";
import {
  HASWELL,
  startController,
  SAPPHIRE_RAPIDS,
  applyDomainPolicy,
  condition,
  createDomain,
  ensureNamespace,
  eventsFor,
  eventually,
  metricValue,
  startSimHost,
  waitForDomainPolicy,
  type SimHost,
} from "../../e2e/fleet.ts";

const NS = "nats-blip";
/** longer than the staged refresh (2 s) and request timeout (1 s) of the fast controller flags */
const NATS_DOWN_MS = 3_000;
let controller: ControllerProcess;
const hosts: SimHost[] = [];
const policies: { name: string; activation: "Active" | "Staged" }[] = [];

/** Every Ready condition status written while the test runs, per policy (kubectl get --watch). */
class ReadyWatch {
  readonly seen = new Map<string, string[]>();
  readonly #child: ChildProcess;

  constructor(namespace: string) {
    const info = planeInfo();
    this.#child = spawn(
      info.binaries.kubectl,
      ["get", "dcp", "-n", namespace, "--watch", "-o", `jsonpath={.metadata.name} {.status.conditions[?(@.type=="Ready")].status}{"\\n"}`],
      { env: { ...process.env, KUBECONFIG: info.kubeconfig, KUBECACHEDIR: info.kubectlCacheDir }, stdio: ["ignore", "pipe", "ignore"] },
    );
    let pending = "";
    this.#child.stdout!.on("data", (d: Buffer) => {
      const lines = (pending + d.toString()).split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        const [name, status = ""] = line.trim().split(" ");
        if (name) this.seen.set(name, [...(this.seen.get(name) ?? []), status]);
      }
    });
  }

  stop(): void {
    this.#child.kill();
  }
}

beforeAll(async () => {
  await Promise.all([ensureNamespace(NS), ensureNamespace(LEASE_NAMESPACE)]);
  for (const [hostId, dump] of [["blip-haswell", HASWELL], ["blip-sapphire", SAPPHIRE_RAPIDS]] as const) {
    const host = await startSimHost(hostId, dump);
    hosts.push(host);
    await createDomain(host, "fresh", "created");
    await createDomain(host, "busy-1", "running");
    await createDomain(host, "busy-2", "running");
    policies.push({ name: `${hostId}-fresh`, activation: "Active" }, { name: `${hostId}-busy-1`, activation: "Staged" }, { name: `${hostId}-busy-2`, activation: "Staged" });
  }
  controller = await startController("blip-1");
  await eventually("leads", async () => expect(await controller.isLeader()).toBe(true));
  for (const host of hosts) {
    for (const domain of ["fresh", "busy-1", "busy-2"]) await applyDomainPolicy(`${host.hostId}-${domain}`, NS, { host: host.hostId, domain, guestType: "hvm", disable: ["rdrand"] });
  }
  for (const { name, activation } of policies) {
    await waitForDomainPolicy(name, NS, `Ready and ${activation}`, (o) => condition(o, "Ready")?.status === "True" && o.status?.activation === activation);
  }
});

afterAll(async () => {
  await controller?.stop();
  await Promise.all(hosts.map((h) => h.agent.stop()));
});

describe("nats-server restart", () => {
  it("keeps applied and staged policies Ready, records no HostUnavailable, and shows the blip in log and metrics", async () => {
    const watch = new ReadyWatch(NS);
    try {
      const plane = attachPlane();
      await plane.stopComponent("nats-server");
      await sleep(NATS_DOWN_MS);
      await plane.startComponent("nats-server");
      await eventually("controller reconnected", async () => {
        const metrics = await controller.metrics();
        expect(metricValue(metrics, "cpuid_controller_nats_reconnects_total")).toBeGreaterThanOrEqual(1);
        expect(metricValue(metrics, "cpuid_controller_nats_connected")).toBe(1);
      });
      // staged policies are refreshed every 2 s: give them a few rounds after the blip
      await sleep(6_000);
      for (const { name, activation } of policies) {
        await waitForDomainPolicy(name, NS, `Ready and ${activation}`, (o) => condition(o, "Ready")?.status === "True" && o.status?.activation === activation);
      }
    } finally {
      watch.stop();
    }
    for (const { name } of policies) {
      expect(watch.seen.get(name)?.filter((s) => s !== "True") ?? [], `Ready of ${name} during the blip`).toEqual([]);
      expect((await eventsFor(name, NS)).filter((e) => e.reason === "HostUnavailable"), `HostUnavailable events of ${name}`).toEqual([]);
    }
    const log = controller.log();
    expect(log).toMatch(/"msg":"disconnected from NATS/);
    expect(log).toMatch(/"msg":"reconnected to NATS/);
  });
});
