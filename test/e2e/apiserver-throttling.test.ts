// An overloaded apiserver: on a plane of its own with API Priority and
// Fairness on, a FlowSchema puts the controller's writes of cpuidfleet.io
// objects into a priority level without seats of its own that rejects (429)
// instead of queueing; the apiserver still runs one such request when none
// is running, so the controller gets a trickle through. The controller holds
// every write back (Retry-After honoured, then one write at a time, doubling
// with each success) instead of retrying each object in a loop, and once the
// FlowSchema is gone it recovers: every policy becomes Ready.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simAdmin } from "../../cli/sim-admin-client.ts";
import { ControllerProcess, LEASE_NAMESPACE } from "../../devenv/daemons/controller.ts";
import type { AgentProcess } from "../../devenv/daemons/agent.ts";
import { ControlPlane } from "../../devenv/plane/control-plane.ts";
import type { DomainCpuidPolicyObject } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { startAgent } from "../support/daemons.ts";
import { condition, domainPolicyYaml, eventually, HASWELL, kubectlOk, metricValue } from "./fleet.ts";

const NS = "e2e-throttled";
const HOST = "throttled-host";
const USER = "cpuid-controller";
/** applied while throttled, and as many again after */
const POLICIES = 40;
const WORKERS = 32;
const MAX_BACKOFF_SECONDS = 4;
/** how long the apiserver keeps rejecting the controller's writes */
const THROTTLE_MS = 12_000;

let plane: ControlPlane;
let agent: AgentProcess;
let controller: ControllerProcess;

/** kubectl as this plane's admin (exempt from priority and fairness) */
const admin = (args: string[], stdin?: string): Promise<string> => kubectlOk(args, { kubeconfig: plane.info().kubeconfig, ...(stdin === undefined ? {} : { stdin }) });

const THROTTLE_OBJECTS = [
  {
    apiVersion: "flowcontrol.apiserver.k8s.io/v1",
    kind: "PriorityLevelConfiguration",
    metadata: { name: "cpuid-controller-no-seats" },
    spec: { type: "Limited", limited: { nominalConcurrencyShares: 0, lendablePercent: 0, borrowingLimitPercent: 0, limitResponse: { type: "Reject" } } },
  },
  {
    apiVersion: "flowcontrol.apiserver.k8s.io/v1",
    kind: "FlowSchema",
    metadata: { name: "cpuid-controller-writes" },
    spec: {
      priorityLevelConfiguration: { name: "cpuid-controller-no-seats" },
      matchingPrecedence: 100,
      distinguisherMethod: { type: "ByUser" },
      rules: [
        {
          subjects: [{ kind: "User", user: { name: USER } }],
          resourceRules: [{ verbs: ["create", "update", "patch", "delete"], apiGroups: ["cpuidfleet.io"], resources: ["*"], clusterScope: true, namespaces: ["*"] }],
        },
      ],
    },
  },
];

beforeAll(async () => {
  plane = await ControlPlane.start({ hosts: [HOST], apiserverArgs: ["--enable-priority-and-fairness=true"] });
  const info = plane.info();
  // not system:masters: that group's requests are exempt from priority and fairness
  const kubeconfig = plane.addUser(USER, ["cpuid-fleet:controllers"]);
  await admin(["create", "clusterrolebinding", "cpuid-controller-admin", "--clusterrole=cluster-admin", "--group=cpuid-fleet:controllers"]);
  await admin(["create", "namespace", NS]);
  await admin(["create", "namespace", LEASE_NAMESPACE]);
  agent = await startAgent({ hostId: HOST, natsUrl: info.natsUrl, seedFile: plane.hostSeedFile(HOST), profile: HASWELL });
  for (let i = 0; i < 2 * POLICIES; i++) await simAdmin(agent.stateDir, "create", `vm-${i}`, "hvm");
  controller = await ControllerProcess.start({
    plane: info,
    kubeconfig,
    identity: "throttled-1",
    logFile: join(mkdtempSync(join(tmpdir(), "controller-throttled-")), "controller.log"),
    args: [`--workers=${WORKERS}`, `--max-backoff=${MAX_BACKOFF_SECONDS}`, "--lease-duration=4", "--renew-deadline=3", "--retry-period=0.5", "--log-level=debug"],
    readyTimeoutMs: 30_000,
  });
  await eventually("controller leads", async () => expect(await controller.isLeader()).toBe(true));
});

afterAll(async () => {
  await controller?.stop();
  await agent?.stop();
  await plane?.stop();
});

async function readyCount(): Promise<number> {
  const list = JSON.parse(await admin(["get", "dcp", "-n", NS, "-o", "json"])) as { items: DomainCpuidPolicyObject[] };
  return list.items.filter((o) => condition(o, "Ready")?.status === "True").length;
}

const throttled = async () => metricValue(await controller.metrics(), "cpuid_apiserver_throttled_total");
const held = async () => metricValue(await controller.metrics(), "cpuid_apiserver_writes_held");

describe("apiserver throttling (429 from API Priority and Fairness)", () => {
  it("holds writes back while throttled, with a bounded number of requests, and recovers when throttling ends", async () => {
    await eventually("host mirrored before throttling", () => admin(["get", "hcp", HOST]));
    await admin(["apply", "-f", "-"], THROTTLE_OBJECTS.map((o) => JSON.stringify(o)).join("\n"));

    const policies = (from: number) =>
      Array.from({ length: POLICIES }, (_, i) => domainPolicyYaml(`p-${from + i}`, NS, { host: HOST, domain: `vm-${from + i}`, guestType: "hvm", disable: ["rdrand"] })).join("\n");
    await admin(["apply", "-f", "-"], policies(0));
    const since = Date.now();
    await eventually("the apiserver throttles the controller", async () => expect(await held()).toBe(1), 30_000);
    await new Promise((r) => setTimeout(r, THROTTLE_MS));
    const rejected = await throttled();
    const throttledSeconds = (Date.now() - since) / 1000;
    const readyWhileThrottled = await readyCount();

    await admin(["delete", "flowschema", "cpuid-controller-writes"]);
    await admin(["apply", "-f", "-"], policies(POLICIES));
    await eventually("all Ready after throttling ends", async () => expect(await readyCount()).toBe(2 * POLICIES), 60_000, 500);
    await eventually("writes no longer held", async () => expect(await held()).toBe(0), 30_000);
    const total = await throttled();
    console.log(
      `[apiserver-throttling] ${rejected} writes rejected in ${throttledSeconds.toFixed(1)} s of throttling (${POLICIES} policies, ${WORKERS} workers, ${readyWhileThrottled} Ready meanwhile); ${total - rejected} more after; all ${2 * POLICIES} Ready after it ended`,
    );
    // the writes in flight at the first 429, then per hold of at least 1 s (Retry-After) at most two:
    // one write alone, then two at once, of which the apiserver runs one
    expect(rejected).toBeGreaterThan(0);
    expect(rejected).toBeLessThanOrEqual(WORKERS + 2 * Math.ceil(throttledSeconds));
    expect(readyWhileThrottled).toBeLessThan(POLICIES);
  });
});
