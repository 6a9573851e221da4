// The controller's requests to agents (AgentClient over RequestMux) against a
// real nats-server with the fleet's permissions: the controller's own nkey
// asks, host agents' nkeys answer. Replies find their request when they come
// out of order; no responders, a timeout, a reply after the timeout and a
// closed connection each end a request as "unavailable" with a message
// saying which, and the client keeps working after them.

import { setTimeout as sleep } from "node:timers/promises";
import type { Msg, NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentClient } from "../../../controller/agent-client.ts";
import { LocalNats } from "../../../devenv/plane/nats-servers.ts";
import { hostSubjectWildcard } from "../../../shared/nats/subjects.ts";
import { SetPolicyRequest } from "../../../shared/schemas/agent-messages.ts";
import { policyHash } from "../../../shared/policy/canonical.ts";
import { policyToJson } from "../../../shared/policy/policy-json.ts";
import { serialisePolicy } from "../../../shared/policy/serialise.ts";
import { fixturePolicy } from "../../unit/agent/support.ts";
import { planeInfo } from "../../harness/context.ts";

const HOSTS = ["mux-host-a", "mux-host-b"];
const SILENT_HOST = "mux-host-silent";
const NO_AGENT_HOST = "mux-host-down";

let nats: LocalNats;
let controller: NatsConnection;
const agents: NatsConnection[] = [];
/** requests the silent host got, answered only when the test says */
const silentInbox: Msg[] = [];

beforeAll(async () => {
  nats = await LocalNats.start({ binary: planeInfo().binaries["nats-server"], hosts: [...HOSTS, SILENT_HOST, NO_AGENT_HOST] });
  controller = await nats.connectAs("controller");
  for (const host of HOSTS) {
    const nc = await nats.connectAs({ host });
    // answers each get with an error reply naming the domain asked for, after 0–20 ms: replies overtake each other
    nc.subscribe(hostSubjectWildcard(host), {
      callback: (_err, msg) => {
        const { domain } = msg.json<{ domain: string }>();
        setTimeout(() => msg.respond(JSON.stringify({ ok: false, hostId: host, error: { code: "unknown-domain", message: `${host}/${domain}` } })), Math.random() * 20);
      },
    });
    await nc.flush();
    agents.push(nc);
  }
  const silent = await nats.connectAs({ host: SILENT_HOST });
  silent.subscribe(hostSubjectWildcard(SILENT_HOST), { callback: (_err, msg) => void silentInbox.push(msg) });
  await silent.flush();
  agents.push(silent);
});

afterAll(async () => {
  await Promise.all([controller, ...agents].map((nc) => nc?.close()));
  await nats?.stop();
});

describe("AgentClient over one inbox subscription", () => {
  it("gives every one of 200 concurrent requests its own reply", async () => {
    const client = new AgentClient(controller, 5_000);
    const asked = Array.from({ length: 200 }, (_, i) => ({ host: HOSTS[i % 2], domain: `dom-${i}` }));
    const results = await Promise.all(asked.map(({ host, domain }) => client.get(host, domain)));
    expect(results).toEqual(asked.map(({ host, domain }) => ({ kind: "error", code: "unknown-domain", message: `${host}/${domain}` })));
  });

  it("says no agent answers when the host has no subscriber, at once", async () => {
    const client = new AgentClient(controller, 30_000);
    const started = Date.now();
    const result = await client.get(NO_AGENT_HOST, "dom-1");
    expect(result).toEqual({ kind: "unavailable", message: expect.stringMatching(/^no agent answers on cpuid\.v1\.host\.[^ ]+\.get \(no responders\)/) });
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it("times out a request nobody answers, drops the reply that comes later, and goes on", async () => {
    const client = new AgentClient(controller, 300);
    silentInbox.length = 0;
    const result = await client.get(SILENT_HOST, "dom-late");
    expect(result).toEqual({ kind: "unavailable", message: expect.stringMatching(/did not answer on cpuid\.v1\.host\.[^ ]+\.get within 300 ms$/) });
    expect(silentInbox).toHaveLength(1);
    silentInbox[0].respond(JSON.stringify({ ok: false, hostId: SILENT_HOST, error: { code: "internal", message: "too late" } }));
    await controller.flush();
    await sleep(50);
    expect(await client.get(HOSTS[0], "dom-after")).toEqual({ kind: "error", code: "unknown-domain", message: `${HOSTS[0]}/dom-after` });
  });

  it("sends each set request as given, also when requests share one wire-form policy (its JSON made once)", async () => {
    const client = new AgentClient(controller, 300);
    silentInbox.length = 0;
    const p = fixturePolicy("hvm_max");
    const policy = policyToJson(serialisePolicy(p));
    const requests: SetPolicyRequest[] = ["dom-a", "dom-b"].map((domain, i) => ({
      hostId: SILENT_HOST,
      domain,
      guestType: "hvm",
      policy,
      policyHash: policyHash(p),
      requestId: `req-${domain}`,
      generation: i + 1,
      ...(i === 0 ? { resourceUid: "uid-a" } : {}),
    }));
    for (const request of requests) await client.set(request);
    expect(silentInbox.map((msg) => SetPolicyRequest.parse(msg.json()))).toEqual(requests);
  });

  it("ends a request in flight when the connection closes, and refuses new ones", async () => {
    const own = await nats.connectAs("controller");
    const client = new AgentClient(own, 30_000);
    const started = Date.now();
    const inFlight = client.get(SILENT_HOST, "dom-closing");
    await own.flush();
    await own.close();
    expect(await inFlight).toEqual({ kind: "unavailable", message: expect.stringContaining("request on cpuid.v1.host.") });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await client.get(HOSTS[0], "dom-after-close")).toEqual({ kind: "unavailable", message: expect.stringMatching(/^request on cpuid\.v1\.host\.[^ ]+\.get failed: /) });
  });
});
