// An agent whose CONNECT reaches the real nats-server too late (a loaded
// machine, a server busy with a crowd of reconnecting clients) gets
// "Authentication Timeout": nothing wrong with its identity, so it keeps
// trying, at start and on every reconnect, instead of failing or giving up.
// A proxy between the agent and the plane's nats-server holds back what the
// agent sends for longer than the server's authorization timeout.

import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES_DIR } from "../../../devenv/fixtures.ts";
import type { AgentProcess } from "../../../devenv/daemons/agent.ts";
import { attachPlane, planeInfo } from "../../harness/context.ts";
import { eventually } from "../../harness/eventually.ts";
import { startAgent } from "../../support/daemons.ts";
import { StallingProxy } from "../../support/stalling-proxy.ts";

const ALDERLAKE = join(FIXTURES_DIR, "xen-cpuid", "xen-cpuid-p_core-i5-12600k_alderlake.txt");
/** more than nats.js's two authentication errors in a row, after which it stops by default */
const STALLED = 3;
const TIMED_OUT = "-ERR 'Authentication Timeout'";

let proxy: StallingProxy;
let stallMs: number;
let agent: AgentProcess | undefined;

beforeAll(async () => {
  const info = planeInfo();
  const varz = (await (await fetch(`${info.natsMonitorUrl}/varz`)).json()) as { auth_timeout: number };
  stallMs = varz.auth_timeout * 1000 + 1_000;
  const nats = new URL(info.natsUrl);
  proxy = await StallingProxy.start({ host: nats.hostname, port: Number(nats.port) });
});

afterAll(async () => {
  await agent?.stop();
  await proxy?.close();
});

const timedOut = () => proxy.fromServer.filter((s) => s.includes(TIMED_OUT)).length;

describe("agent and NATS authentication timeouts", () => {
  it("an agent whose first connections time out authenticating keeps trying and starts", { timeout: 60_000 }, async () => {
    const seedFile = await attachPlane().addNatsHost("auth-slow");
    proxy.stallNext(STALLED, stallMs);
    agent = await startAgent({ hostId: "auth-slow", natsUrl: proxy.url, seedFile, args: ["--probe", "file", "--probe-file", ALDERLAKE], readyTimeoutMs: 50_000 });
    expect(timedOut()).toBe(STALLED);
    expect(agent.log()).not.toContain("refused host auth-slow's credentials");
    expect(agent.log().match(/"err":"[^"]*Authentication Timeout[^"]*","attempt":\d+,"retryInMs":\d+,"msg":"cannot connect to NATS yet; retrying"/g)).toHaveLength(STALLED);
  });

  it("an agent whose reconnections time out authenticating keeps reconnecting and is ready again", { timeout: 60_000 }, async () => {
    const a = agent!;
    const before = timedOut();
    proxy.stallNext(STALLED, stallMs);
    proxy.dropAll();
    await eventually("the stalled reconnections timed out", async () => expect(timedOut()).toBe(before + STALLED), 40_000);
    await eventually("ready again", async () => expect((await fetch(`${a.metricsUrl}/readyz`)).status).toBe(200), 20_000);
    expect(a.running).toBe(true);
  });
});
