// What the demo tells the user once the fleet has settled: how to look at it
// with kubectl and cpuidctl, where metrics and logs are, how to stop it.

import { relative } from "node:path";
import { REPO_ROOT } from "../../devenv/repo-root.ts";
import type { AgentProcess } from "../../devenv/daemons/agent.ts";
import type { ControllerProcess } from "../../devenv/daemons/controller.ts";
import { type DemoPaths, hostStateDir } from "./paths.ts";

export interface UsageFacts {
  paths: DemoPaths;
  controller: ControllerProcess;
  agents: readonly AgentProcess[];
  detached: boolean;
}

export function renderUsage({ paths, controller, agents, detached }: UsageFacts): string {
  const rel = (p: string) => relative(process.cwd(), p) || p;
  const cpuidctl = rel(`${REPO_ROOT}/bin/cpuidctl`);
  const haswell = rel(hostStateDir(paths, "host-haswell"));
  const longest = Math.max(...agents.map((a) => a.hostId.length));
  const tries: [string, string][] = [
    [`source ${rel(paths.envFile)}`, "KUBECONFIG, NATS_URL, PATH with the pinned kubectl"],
    ["kubectl get dcp -A", "domain policies: audited? applied or staged?"],
    ["kubectl get hcp", "the hosts the controller mirrors from NATS"],
    ["kubectl get cpool -o yaml", "the pools: members, level, limiting hosts"],
    ["kubectl describe dcp haswell-analytics-1", "the failed audit: findings, conditions, events"],
    ["kubectl get events --field-selector reason=AuditFailed", ""],
    [`${cpuidctl} audit -f examples/audit-failure.yaml`, "the same audit as a dry run"],
    [`${cpuidctl} hosts list --nats-url "$NATS_URL"`, "what the agents published"],
    [`${cpuidctl} fleet report -o html > fleet.html`, "the fleet report, from live data"],
    [`${cpuidctl} sim stop web-1 --state-dir ${haswell}`, ""],
    [`${cpuidctl} sim start web-1 --state-dir ${haswell}`, "web-1 restarts: haswell-web-1 turns Active"],
  ];
  // comments line up, except after the few long commands
  const width = Math.max(...tries.map(([command]) => command.length).filter((n) => n <= 56));
  return [
    "Try it (in another terminal, from the repo):",
    ...tries.map(([command, comment]) => `  ${comment ? `${command.padEnd(width)}   # ${comment}` : command}`),
    "",
    "Metrics:",
    `  controller${" ".repeat(Math.max(0, longest - 10))}  ${controller.metricsUrl}/metrics`,
    ...agents.map((a) => `  ${a.hostId.padEnd(Math.max(longest, 10))}  ${a.metricsUrl}/metrics`),
    `Logs: ${rel(paths.logsDir)}/ (controller.log, agent-<host>.log); control plane: ${rel(paths.planeDir)}/logs/`,
    "",
    detached ? "The fleet keeps running in the background. Stop it with: npm run demo -- --stop" : "Press Ctrl-C to stop the fleet.",
  ].join("\n") + "\n";
}
