// The controller's agent requests alone: CPU per NATS request/reply in this
// process, 32 in flight (the controller's default workers send up to 128),
// against a real nats-server on loopback and a responder in another process
// that answers like an agent's set reply. Payloads: a small one and the size
// of a real set request (a guest policy of a server CPU, ~4.7 KB of JSON).
// Clients: the controller's RequestMux and nats.js's own request(). Rounds
// alternate so that a machine that speeds up or slows down weighs on all
// alike.
//
//   node_modules/.bin/node bench/nats-requests.ts [--requests 6000] [--rounds 3] [--concurrency 32]

import { spawn } from "node:child_process";
import { once } from "node:events";
import { parseArgs } from "node:util";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { ensureBinaries } from "../devenv/toolchain/ensure.ts";
import { RequestMux } from "../runtime/nats/request-mux.ts";
import { freePorts } from "../devenv/plane/ports.ts";
import { forEachBounded } from "./fleet/policies.ts";
import { percentile } from "./fleet/process-stats.ts";
import { machine } from "./support/machine.ts";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "6000" },
    rounds: { type: "string", default: "3" },
    concurrency: { type: "string", default: "32" },
    responder: { type: "string" },
  },
});

const REPLY = JSON.stringify({ ok: true, hostId: "host-0001", domain: "dom-1", requestId: "r".repeat(36), result: "applied" });

if (values.responder) {
  const nc = await connect({ servers: values.responder, waitOnFirstConnect: true });
  const sub = nc.subscribe("cpuid.bench.>");
  await nc.flush();
  console.log("ready");
  for await (const m of sub) m.respond(REPLY);
} else {
  const requests = Number(values.requests);
  const rounds = Number(values.rounds);
  const concurrency = Number(values.concurrency);
  console.log(`nats-requests benchmark: ${requests} requests per round, ${rounds} rounds per payload, ${concurrency} in flight; ${machine()}`);
  const { "nats-server": natsServer } = await ensureBinaries(["nats-server"]);
  const [port] = await freePorts(1);
  const url = `nats://127.0.0.1:${port}`;
  const server = spawn(natsServer.path, ["-a", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
  const responder = spawn(process.execPath, [import.meta.filename, "--responder", url], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    await once(responder.stdout, "data");
    const nc = await connect({ servers: url, noAsyncTraces: true, waitOnFirstConnect: true });
    const payloads = { "100 B": "x".repeat(100), "4.7 KB (a set request)": "x".repeat(4_743) };
    const clients = requestClients(nc);
    const runs = Object.keys(payloads).flatMap((payload) => Object.keys(clients).map((client) => `${payload}, ${client}`));
    const perRequestMs = new Map<string, number[]>(runs.map((run) => [run, []]));
    for (let r = 0; r < rounds; r++) {
      for (const [name, body] of Object.entries(payloads)) {
        for (const [clientName, send] of Object.entries(clients)) {
          const run = `${name}, ${clientName}`;
          const started = performance.now();
          const cpuBefore = process.cpuUsage();
          await forEachBounded(Array.from({ length: requests }, (_, i) => i), concurrency, (i) => send(`cpuid.bench.h${i % 1000}.set`, body));
          const cpu = process.cpuUsage(cpuBefore);
          const ms = (cpu.user + cpu.system) / 1000 / requests;
          perRequestMs.get(run)!.push(ms);
          console.log(`  ${run.padEnd(56)} round ${r + 1}: ${(requests / ((performance.now() - started) / 1000)).toFixed(0)} requests/s, ${ms.toFixed(3)} ms CPU per request (user ${(cpu.user / 1000 / requests).toFixed(3)}, system ${(cpu.system / 1000 / requests).toFixed(3)})`);
        }
      }
    }
    await nc.close();
    console.log("\nmedian CPU per request in this process:");
    for (const [run, ms] of perRequestMs) console.log(`  ${run.padEnd(56)} ${percentile([...ms].sort((a, b) => a - b), 50).toFixed(3)} ms`);
  } finally {
    responder.kill();
    server.kill();
  }
}

/** Each client sends one request and waits for its reply (throwing when none came). */
function requestClients(nc: NatsConnection): Record<string, (subject: string, body: string) => Promise<void>> {
  const mux = new RequestMux(nc);
  return {
    "RequestMux (the controller's)": async (subject, body) => {
      const outcome = await mux.request(subject, body, 10_000);
      if (outcome.kind !== "reply") throw new Error(`${subject}: ${outcome.kind}`);
    },
    "nats.js request()": async (subject, body) => {
      await nc.request(subject, body, { timeout: 10_000 });
    },
  };
}
