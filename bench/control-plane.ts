// Warm start of the whole local control plane: certificates, etcd ready,
// kube-apiserver ready (/readyz + default namespace), CRDs established and
// served, nats-server ready with JetStream, `cpuid-hosts` bucket created.
// Binaries must be cached already (they are ensured first, untimed).
//
//   node_modules/.bin/node bench/control-plane.ts [--runs N]

import { cpus } from "node:os";
import { ensureControlPlaneBinaries } from "../devenv/toolchain/ensure.ts";
import { ControlPlane, type StartTimings } from "../devenv/plane/control-plane.ts";

const GOAL_MS = 20_000;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
}

function runsArg(args: string[]): number {
  const i = args.indexOf("--runs");
  const n = i < 0 ? 5 : Number(args[i + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error("--runs needs a positive integer");
  return n;
}

interface Run {
  wallMs: number;
  stopMs: number;
  timings: StartTimings;
}

async function main(): Promise<void> {
  const runs = runsArg(process.argv.slice(2));
  const binaries = await ensureControlPlaneBinaries();
  console.log(`local control plane warm start, ${runs} runs, ${cpus().length} cores (${cpus()[0]?.model ?? "?"})`);
  console.log(Object.values(binaries).map((b) => `${b.name} ${b.version}`).join(", "));
  const results: Run[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const plane = await ControlPlane.start({ hosts: ["host-a", "host-b"], binaries, keep: false });
    const wallMs = Math.round(performance.now() - t0);
    const t1 = performance.now();
    await plane.stop();
    const run = { wallMs, stopMs: Math.round(performance.now() - t1), timings: plane.startTimings! };
    results.push(run);
    const t = run.timings;
    console.log(
      `run ${i + 1}: ${wallMs} ms (etcd ${t.etcdReady}, nats ${t.natsReady}, bucket ${t.hostsBucketCreated}, ` +
        `apiserver ${t.apiserverReady}, CRDs ${t.crdsEstablished}); stop ${run.stopMs} ms`,
    );
  }
  const phase = (key: keyof StartTimings) => median(results.map((r) => r.timings[key]));
  const wall = median(results.map((r) => r.wallMs));
  console.log(
    `median: ${wall} ms wall (etcd ready ${phase("etcdReady")}, apiserver ready ${phase("apiserverReady")}, ` +
      `CRDs established ${phase("crdsEstablished")}, nats ready ${phase("natsReady")}); ` +
      `stop ${median(results.map((r) => r.stopMs))} ms; goal <= ${GOAL_MS} ms: ${wall <= GOAL_MS ? "met" : "MISSED"}`,
  );
}

await main();
