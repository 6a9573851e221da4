// The controller rides out restarts of the servers it depends on: its
// informers restart with backoff after the apiserver comes back, its host
// watch and requests resume after nats-server comes back.

import { type ControllerProcess, LEASE_NAMESPACE } from "../../../devenv/daemons/controller.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attachPlane } from "../../harness/context.ts";
import {
  startController,
  SAPPHIRE_RAPIDS,
  applyDomainPolicy,
  condition,
  createDomain,
  ensureNamespace,
  eventually,
  startSimHost,
  waitForDomainPolicy,
  type SimHost,
} from "../../e2e/fleet.ts";

const NS = "resilience";
let controller: ControllerProcess;
let host: SimHost;
const ready = (o: Parameters<typeof condition>[0]) => condition(o, "Ready")?.status === "True";

beforeAll(async () => {
  await Promise.all([ensureNamespace(NS), ensureNamespace(LEASE_NAMESPACE)]);
  host = await startSimHost("resilient-host", SAPPHIRE_RAPIDS);
  for (const d of ["vm-1", "vm-2", "vm-3"]) await createDomain(host, d, "created");
  controller = await startController("resilient-1");
  await eventually("leads", async () => expect(await controller.isLeader()).toBe(true));
  await applyDomainPolicy("before", NS, { host: host.hostId, domain: "vm-1", guestType: "hvm" });
  await waitForDomainPolicy("before", NS, "Ready", ready);
});

afterAll(async () => {
  await controller?.stop();
  await host?.agent.stop();
});

describe("controller resilience", () => {
  it("keeps reconciling after a kube-apiserver restart (informers restart with backoff)", async () => {
    await attachPlane().restartComponent("kube-apiserver");
    await applyDomainPolicy("after-apiserver", NS, { host: host.hostId, domain: "vm-2", guestType: "hvm", disable: ["rdrand"] });
    await waitForDomainPolicy("after-apiserver", NS, "Ready", ready, 30_000);
    expect(controller.log()).toContain("informer stopped; restarting");
    expect(controller.running).toBe(true);
  });

  it("keeps reconciling after a nats-server restart (host watch and requests resume)", async () => {
    await attachPlane().restartComponent("nats-server");
    await applyDomainPolicy("after-nats", NS, { host: host.hostId, domain: "vm-3", guestType: "hvm", disable: ["rdrand"] });
    await waitForDomainPolicy("after-nats", NS, "Ready", ready, 30_000);
    const r = await fetch(`${controller.metricsUrl}/readyz`);
    expect(r.status).toBe(200);
  });
});
