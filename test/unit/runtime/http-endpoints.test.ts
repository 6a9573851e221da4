// The daemons' /metrics, /healthz and /readyz server, and how it closes: a
// client polling /readyz over keep-alive (as the test harness and kubelet
// do) must not keep a daemon that stops, or failed to start, from exiting.

import { once } from "node:events";
import { connect } from "node:net";
import { Gauge, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { closeHttpServer, startHttp } from "../../../runtime/http-endpoints.ts";

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

describe("daemon HTTP endpoints", () => {
  it("answers /readyz with the reason it is not ready, then 200 once it is", async () => {
    let reason: string | undefined = "not connected to NATS (last attempt: connection refused)";
    const { server, port } = await startHttp("127.0.0.1", 0, { register: new Registry(), notReadyReason: () => reason });
    try {
      expect(await get(port, "/readyz")).toEqual({ status: 503, body: "not ready: not connected to NATS (last attempt: connection refused)\n" });
      reason = undefined;
      expect(await get(port, "/readyz")).toEqual({ status: 200, body: "ok\n" });
      expect(await get(port, "/healthz")).toEqual({ status: 200, body: "ok\n" });
    } finally {
      await closeHttpServer(server);
    }
  });

  it("closes although a client polls over keep-alive and a request is in flight", { timeout: 10_000 }, async () => {
    const register = new Registry();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let collecting!: () => void;
    const collected = new Promise<void>((resolve) => (collecting = resolve));
    new Gauge({ name: "slow_gauge", help: "answers once released", registers: [register], collect: async () => { collecting(); await gate; } });
    const { server, port } = await startHttp("127.0.0.1", 0, { register, notReadyReason: () => "starting" });
    const client = connect(port, "127.0.0.1");
    await once(client, "connect");
    const clientClosed = once(client, "close");
    client.on("error", () => {});
    client.write("GET /metrics HTTP/1.1\r\nHost: daemon\r\n\r\n");
    await collected;
    const closing = closeHttpServer(server).then(() => "closed" as const);
    release();
    // a readiness probe every 20 ms over the same connection
    const probe = setInterval(() => client.writable && client.write("GET /readyz HTTP/1.1\r\nHost: daemon\r\n\r\n"), 20);
    try {
      expect(await Promise.race([closing, new Promise((resolve) => setTimeout(() => resolve("still open after 3 s"), 3_000))])).toBe("closed");
      await clientClosed;
    } finally {
      clearInterval(probe);
      client.destroy();
    }
  });
});
