// Chaos under load (bench/chaos/scenario.ts) on its own local control plane:
// N DomainCpuidPolicies (default 10,000) over H simulated hosts (default
// 1,000), two controller replicas, a 3-node NATS cluster; at set times the
// leader is killed, the kube-apiserver restarts, a NATS node is killed and
// restarted and 10 % of the hosts are killed (-9) and restarted. Prints the
// hosts' verdict (lost, applied twice, misapplied, final state; definitions
// in bench/chaos/host-records.ts) and the time from the last fault to
// convergence. Exits 1 unless all counts are 0 and the final state is as desired.
// With --wire, faults on the wire instead (bench/chaos/wire.ts): every path
// through toxiproxy, slowed down from --wire-slow-at and dropped, reset and
// stalled from --wire-drop-at, each for --wire-seconds, while after the
// creates a share of the policies is changed and another deleted.
//
//   node_modules/.bin/node bench/chaos.ts [--policies 10000] [--hosts 1000] [--pools 4]
//     [--leader-kill-at 10] [--apiserver-restart-at 20] [--nats-node-kill-at 30] [--agent-kill-at 40]
//     [--nats-down 5] [--create-seconds 40] [--controller-workers 128] [--request-timeout 5] [--agent-nice 10] [--keep]
//   node_modules/.bin/node bench/chaos.ts --wire [--policies 400] [--hosts 40] [--wire-slow-at 5] [--wire-drop-at 25]
//     [--wire-seconds 15] [--edit-at 30] [--change-share 0.25] [--delete-share 0.125] [--create-seconds 20]

import { loadavg } from "node:os";
import { rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { ControlPlane } from "../devenv/plane/control-plane.ts";
import { ensureBinaries, ensureControlPlaneBinaries } from "../devenv/toolchain/ensure.ts";
import { runChaos } from "./chaos/scenario.ts";
import { scratchDir } from "./fleet/fleet-setup.ts";
import { DEFAULT_WORKERS } from "../controller/config.ts";
import { machine } from "./support/machine.ts";

const { values } = parseArgs({
  options: {
    wire: { type: "boolean", default: false },
    policies: { type: "string" },
    hosts: { type: "string" },
    pools: { type: "string", default: "4" },
    "leader-kill-at": { type: "string", default: "10" },
    "apiserver-restart-at": { type: "string", default: "20" },
    "nats-node-kill-at": { type: "string", default: "30" },
    "agent-kill-at": { type: "string", default: "40" },
    "nats-down": { type: "string", default: "5" },
    "create-seconds": { type: "string" },
    "wire-slow-at": { type: "string", default: "5" },
    "wire-drop-at": { type: "string", default: "25" },
    "wire-seconds": { type: "string", default: "15" },
    "edit-at": { type: "string", default: "30" },
    "change-share": { type: "string", default: "0.25" },
    "delete-share": { type: "string", default: "0.125" },
    "controller-workers": { type: "string", default: String(DEFAULT_WORKERS) },
    "request-timeout": { type: "string", default: "5" },
    "agent-nice": { type: "string", default: "10" },
    "converge-timeout": { type: "string", default: "1800" },
    keep: { type: "boolean", default: false },
  },
});

const wire = values.wire;
const policies = Number(values.policies ?? (wire ? 400 : 10_000));
const hosts = Number(values.hosts ?? (wire ? 40 : 1_000));
const createSeconds = Number(values["create-seconds"] ?? (wire ? 20 : 40));
const t0 = performance.now();
const say = (line: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${line}`);
const list = (items: string[]) => (items.length === 0 ? "0" : `${items.length}: ${items.slice(0, 5).join("; ")}${items.length > 5 ? "; …" : ""}`);

console.log(`${wire ? "wire faults" : "chaos"} benchmark: ${policies} policies on ${hosts} hosts; ${machine()}, load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
const plane = await ControlPlane.start({ hosts: [], binaries: await ensureControlPlaneBinaries(), keep: false });
const dir = scratchDir("cpuid-fleet-chaos-");

/** Runs the scenario and prints its results; whether every count is 0 and the hosts converged as desired. */
async function run(): Promise<boolean> {

  const r = await runChaos({
    plane: plane.info(),
    restartApiserver: () => plane.restartComponent("kube-apiserver"),
    namespace: "bench-chaos",
    hostPrefix: "chaos-",
    policies,
    hosts,
    pools: Number(values.pools),
    killShare: 0.1,
    ...(wire
      ? {
          faultAt: { "wire-slow": Number(values["wire-slow-at"]), "wire-drop": Number(values["wire-drop-at"]) },
          wire: { toxiproxyBinary: (await ensureBinaries(["toxiproxy-server"]))["toxiproxy-server"].path, seconds: Number(values["wire-seconds"]) },
          edits: { at: Number(values["edit-at"]), changeShare: Number(values["change-share"]), deleteShare: Number(values["delete-share"]) },
        }
      : {
          faultAt: {
            "leader-kill": Number(values["leader-kill-at"]),
            "apiserver-restart": Number(values["apiserver-restart-at"]),
            "nats-node-kill": Number(values["nats-node-kill-at"]),
            "agent-kill": Number(values["agent-kill-at"]),
          },
        }),
    natsDownSeconds: Number(values["nats-down"]),
    createSeconds,
    controllerWorkers: Number(values["controller-workers"]),
    requestTimeoutSeconds: Number(values["request-timeout"]),
    agentNice: Number(values["agent-nice"]),
    heartbeatSeconds: 15,
    convergeTimeoutSeconds: Number(values["converge-timeout"]),
    dir,
    say,
  });
  const v = r.verdict;
  const ok = v.lost.length + v.appliedTwice.length + v.misapplied.length + v.notAsDesired.length === 0 && r.convergenceSeconds !== undefined;
  console.log(`
results (${policies} policies, ${hosts} hosts; load average now ${loadavg().map((l) => l.toFixed(2)).join(" ")})
  faults
${r.faults.map((f) => `    t=${f.startedS.toFixed(1).padStart(6)} s … ${f.doneS.toFixed(1).padStart(6)} s  ${f.fault}: ${f.detail}`).join("\n")}
  creates done                 t=${r.createsDoneS.toFixed(1)} s${r.editsDoneS === undefined ? "" : `\n  changes and deletes done     t=${r.editsDoneS.toFixed(1)} s (${r.changed} changed, ${r.deleted} deleted)`}
  API calls retried            ${r.apiRetries}
  last fault (or edit) → converged  ${r.convergenceSeconds === undefined ? "NOT within the timeout" : `${r.convergenceSeconds.toFixed(1)} s`} (every policy Ready for its generation and every host as desired)
  Ready                        ${r.ready}/${r.policies}
  installations in host journals ${v.installations}
  lost                         ${list(v.lost)}
  applied twice                ${list(v.appliedTwice)}
  misapplied                   ${list(v.misapplied)}
  hosts not as desired         ${list(v.notAsDesired)}
  final state == desired       ${v.notAsDesired.length === 0 ? "yes" : "NO"} (read from each host's sim state file, not from the agents or the controller)`);
  return ok;
}

try {
  process.exitCode = (await run()) ? 0 : 1;
} finally {
  await plane.stop();
  if (values.keep) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
process.exit();
