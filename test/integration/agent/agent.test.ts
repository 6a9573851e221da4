// The agent as a process against the plane's real nats-server: publication,
// heartbeats, set/get/domains with Xen semantics, idempotency, staging for
// unknown domains, malformed requests, broker and agent restarts.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simAdmin } from "../../../cli/sim-admin-client.ts";
import { SIM_STATE_FILE } from "../../../agent/backends/sim.ts";
import { policyHash } from "../../../shared/policy/canonical.ts";
import { heartbeatSubject, hostKey } from "../../../shared/nats/subjects.ts";
import { Heartbeat, HostPolicies } from "../../../shared/schemas/host-policies.ts";
import { attachPlane, connectNats, planeInfo } from "../../harness/context.ts";
import { openHostsBucket } from "../../../runtime/nats/hosts-bucket.ts";
import { FIXTURES_DIR } from "../../../devenv/fixtures.ts";
import { fixturePolicy, setRequest } from "../../unit/agent/support.ts";
import { eventually } from "../../harness/eventually.ts";
import type { AgentProcess } from "../../../devenv/daemons/agent.ts";
import { requestHost, startAgent as startAgentProcess } from "../../support/daemons.ts";

const HOST = "host-a";
const ALDERLAKE = join(FIXTURES_DIR, "xen-cpuid", "xen-cpuid-p_core-i5-12600k_alderlake.txt");
const fileProbe = ["--probe", "file", "--probe-file", ALDERLAKE, "--heartbeat-interval", "1"];

let controller: NatsConnection;
let kv: KV;
let agent: AgentProcess;

const body = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes));
const setBody = (domain: string, p = fixturePolicy("hvm_default"), extra: Record<string, unknown> = {}) =>
  body(setRequest(domain, p, { hostId: HOST, ...extra }));
/** hvm_default without rdrand: a valid policy that differs from the default */
function variant(bit = 30) {
  const p = fixturePolicy("hvm_default");
  p.basic[1].ecx &= ~(1 << bit);
  return p;
}

async function published(): Promise<HostPolicies> {
  const e = await kv.get(hostKey(HOST));
  if (!e || e.operation !== "PUT") throw new Error("no entry yet");
  return HostPolicies.parse(e.json());
}

function startAgent(stateDir?: string) {
  const info = planeInfo();
  return startAgentProcess({ hostId: HOST, natsUrl: info.natsUrl, seedFile: attachPlane().hostSeedFile(HOST), ...(stateDir ? { stateDir } : {}), args: fileProbe });
}

beforeAll(async () => {
  controller = await connectNats("controller");
  kv = await openHostsBucket(controller);
  agent = await startAgent();
});

afterAll(async () => {
  await agent?.stop();
  await controller?.close();
});

describe("publication", () => {
  it("publishes a HostPolicies equal to the fixture's policies", async () => {
    const hp = await published();
    expect(hp).toMatchObject({ hostId: HOST, fingerprint: { probe: "file" }, cpu: { vendor: "intel", family: 6, model: 0x97 }, guestTypes: ["pv", "hvm"] });
    expect(hp.hashes.hvm_max).toBe(policyHash(fixturePolicy("hvm_max")));
    expect(hp.policies.hvm_max.features).toContain("avx2");
  });

  it("sends heartbeats on its own subject", async () => {
    const sub = controller.subscribe(heartbeatSubject(HOST), { max: 1 });
    for await (const m of sub) {
      const hb = Heartbeat.parse(m.json());
      expect(hb.hostId).toBe(HOST);
      expect(hb.digest).toBe((await published()).fingerprint.digest);
    }
  });
});

describe("set / get / domains", () => {
  it("stages a policy for an unknown domain and applies it when the domain is created", async () => {
    const p = variant();
    const staged = await requestHost(controller, HOST, "set", setBody("vm-later", p));
    expect(staged).toMatchObject({ ok: true, result: "staged", domainState: "absent", stagedHash: policyHash(p) });
    await simAdmin(agent.stateDir, "create", "vm-later");
    const got = await requestHost(controller, HOST, "get", { hostId: HOST, domain: "vm-later" });
    expect(got.domain).toMatchObject({ state: "paused", activeHash: policyHash(p) });
    expect(got.domain.stagedHash).toBeUndefined();
  });

  it("applies before first unpause, stages afterwards, and never applies a retry twice", async () => {
    await simAdmin(agent.stateDir, "create", "vm1", "hvm");
    const p = variant();
    const applied = await requestHost(controller, HOST, "set", setBody("vm1", p, { requestId: "a-1" }));
    expect(applied).toMatchObject({ result: "applied", duplicate: false, activeHash: policyHash(p) });
    const retry = await requestHost(controller, HOST, "set", setBody("vm1", p, { requestId: "a-1" }));
    expect(retry).toMatchObject({ result: "applied", duplicate: true });

    await simAdmin(agent.stateDir, "start", "vm1");
    const q = variant(23); // popcnt off
    const staged = await requestHost(controller, HOST, "set", setBody("vm1", q));
    expect(staged).toMatchObject({ result: "staged", domainState: "running", activeHash: policyHash(p), stagedHash: policyHash(q) });
    await simAdmin(agent.stateDir, "stop", "vm1");
    await simAdmin(agent.stateDir, "start", "vm1");
    const got = await requestHost(controller, HOST, "get", { hostId: HOST, domain: "vm1" });
    expect(got.domain).toMatchObject({ state: "running", activeHash: policyHash(q) });

    const list = await requestHost(controller, HOST, "domains", { hostId: HOST });
    expect(list.domains.map((d: { domain: string }) => d.domain)).toEqual(expect.arrayContaining(["vm1", "vm-later"]));
    expect(await agent.metrics()).toMatch(/cpuid_agent_requests_total\{op="set",result="duplicate",host="host-a"\} 1/);
  });

  it("handles sets one at a time: a late, older generation sent right behind a newer one is refused, not applied over it", async () => {
    await simAdmin(agent.stateDir, "create", "vm-order", "hvm");
    const newer = variant();
    const older = variant(23);
    const [first, second] = await Promise.all([
      requestHost(controller, HOST, "set", setBody("vm-order", newer, { resourceUid: "uid-o", generation: 5, requestId: "o/5" })),
      requestHost(controller, HOST, "set", setBody("vm-order", older, { resourceUid: "uid-o", generation: 4, requestId: "o/4" })),
    ]);
    expect(first).toMatchObject({ ok: true, result: "applied" });
    expect(second).toMatchObject({ ok: false, error: { code: "stale-request" } });
    const got = await requestHost(controller, HOST, "get", { hostId: HOST, domain: "vm-order" });
    expect(got.domain).toMatchObject({ activeHash: policyHash(newer), generation: 5, resourceUid: "uid-o" });
  });

  it("rejects a policy beyond this host's max with findings", async () => {
    const p = fixturePolicy("hvm_default");
    p.feat[0].ebx |= 1 << 16; // avx512f: not on Alder Lake
    const r = await requestHost(controller, HOST, "set", setBody("vm1", p));
    expect(r).toMatchObject({ ok: true, result: "rejected" });
    expect(r.findings.map((f: { code: string }) => f.code)).toContain("feature-not-in-max");
  });

  it("answers malformed, oversized and wrong-host requests with structured errors and keeps serving", async () => {
    expect(await requestHost(controller, HOST, "set", "{not json")).toMatchObject({ ok: false, error: { code: "bad-request" } });
    expect(await requestHost(controller, HOST, "set", new Uint8Array(300 * 1024).fill(32))).toMatchObject({ ok: false, error: { code: "too-large" } });
    expect(await requestHost(controller, HOST, "set", setBody("vm1", variant(), { hostId: "host-b" }))).toMatchObject({ ok: false, error: { code: "wrong-host" } });
    expect(await requestHost(controller, HOST, "get", { hostId: HOST, domain: "missing" })).toMatchObject({ ok: false, error: { code: "unknown-domain" } });
    expect(await requestHost(controller, HOST, "domains", { hostId: HOST })).toMatchObject({ ok: true });
    const metrics = await agent.metrics();
    expect(metrics).toMatch(/cpuid_agent_request_errors_total\{code="bad-request",host="host-a"\} 1/);
    expect(metrics).toMatch(/cpuid_agent_request_errors_total\{code="too-large",host="host-a"\} 1/);
  });
});

describe("reliability", () => {
  it("reconnects after a nats-server restart, re-publishes, and serves again", async () => {
    const before = await published();
    await attachPlane().restartComponent("nats-server");
    const after = await eventually("re-published entry", async () => {
      const hp = await published();
      if (hp.publishedAt <= before.publishedAt) throw new Error("not re-published yet");
      return hp;
    });
    expect(after.fingerprint.digest).toBe(before.fingerprint.digest);
    const r = await eventually("request after restart", () => requestHost(controller, HOST, "domains", { hostId: HOST }));
    expect(r.ok).toBe(true);
    expect(await agent.metrics()).toMatch(/cpuid_agent_nats_reconnects_total\{host="host-a"\} [1-9]/);
  });

  it("drains on SIGTERM and keeps domains and staged policies across a restart", async () => {
    const q = variant(23); // popcnt off
    await requestHost(controller, HOST, "set", setBody("vm-keep", q));
    const before = await requestHost(controller, HOST, "domains", { hostId: HOST });
    expect(await agent.stop("SIGTERM")).toEqual({ code: 0, signal: null });
    agent = await startAgent(agent.stateDir);
    expect(await requestHost(controller, HOST, "domains", { hostId: HOST })).toEqual(before);
  });

  it("never leaves a torn state file and never loses an acknowledged change when killed -9", async () => {
    for (let round = 0; round < 3; round++) {
      const acknowledged: string[] = [];
      const writes = Array.from({ length: 40 }, (_, i) => {
        const domain = `vm-k${round}-${i}`;
        return requestHost(controller, HOST, "set", setBody(domain, variant(i % 2 ? 23 : 30)), 2_000).then(
          (r) => r.ok && acknowledged.push(domain),
          () => undefined,
        );
      });
      await new Promise((r) => setTimeout(r, 15 + round * 10));
      await agent.stop("SIGKILL");
      await Promise.all(writes);
      const state = JSON.parse(readFileSync(join(agent.stateDir, SIM_STATE_FILE), "utf8")) as { domains: unknown[] };
      expect(Array.isArray(state.domains)).toBe(true);
      agent = await startAgent(agent.stateDir);
      const listed = await requestHost(controller, HOST, "domains", { hostId: HOST });
      expect(listed.domains.length).toBe(state.domains.length);
      const names = new Set(listed.domains.map((d: { domain: string }) => d.domain));
      expect(acknowledged.filter((d) => !names.has(d))).toEqual([]);
    }
  });
});
