// The controller's agent requests alone: CPU per NATS request/reply in this
// process, 32 in flight (the controller's default workers send up to 128),
// against a real nats-server on loopback and a responder in another process
// that answers like an agent's set reply. Payloads: a small one and the size
// of a real set request (a guest policy of a server CPU, ~4.7 KB of JSON).
// Rounds alternate so that a machine that speeds up or slows down weighs on
// both alike.
//
//   node_modules/.bin/node bench/nats-requests.ts [--requests 6000] [--rounds 3] [--concurrency 32]

import { spawn } from "node:child_process";
import { once } from "node:events";
import { parseArgs } from "node:util";
import { connect } from "@nats-io/transport-node";
import { ensureBinaries } from "../devenv/toolchain/ensure.ts";
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
    const perRequestMs = new Map<string, number[]>(Object.keys(payloads).map((name) => [name, []]));
    for (let r = 0; r < rounds; r++) {
      for (const [name, body] of Object.entries(payloads)) {
        const started = performance.now();
        const cpuBefore = process.cpuUsage();
        await forEachBounded(Array.from({ length: requests }, (_, i) => i), concurrency, async (i) => {
          await nc.request(`cpuid.bench.h${i % 1000}.set`, body, { timeout: 10_000 });
        });
        const cpu = process.cpuUsage(cpuBefore);
        const ms = (cpu.user + cpu.system) / 1000 / requests;
        perRequestMs.get(name)!.push(ms);
        console.log(`  ${name.padEnd(24)} round ${r + 1}: ${(requests / ((performance.now() - started) / 1000)).toFixed(0)} requests/s, ${ms.toFixed(3)} ms CPU per request (user ${(cpu.user / 1000 / requests).toFixed(3)}, system ${(cpu.system / 1000 / requests).toFixed(3)})`);
      }
    }
    await nc.close();
    console.log("\nmedian CPU per request in this process:");
    for (const [name, ms] of perRequestMs) console.log(`  ${name.padEnd(24)} ${percentile([...ms].sort((a, b) => a - b), 50).toFixed(3)} ms`);
  } finally {
    responder.kill();
    server.kill();
  }
}
