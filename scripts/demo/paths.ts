// Files of the demo fleet. The root is the repo's git-ignored .cpuid-fleet/
// (shared with `npm run cluster:up`, whose env file the demo writes too), or
// another directory given with --dir (the end-to-end test uses a temp dir).
//
//   <root>/env                  source it: KUBECONFIG, NATS_URL, … (like cluster:up)
//   <root>/demo.pid             the detached demo process (--detach)
//   <root>/demo.log             its output
//   <root>/fleet-report.html    `cpuidctl fleet report` of the settled fleet (kept after --stop)
//   <root>/demo/fleet.json      pids and URLs of the running fleet (for --stop and the tests)
//   <root>/demo/plane/          the control plane (devenv/plane/layout.ts)
//   <root>/demo/hosts/<host>/   each agent's state dir (sim domains, admin socket)
//   <root>/demo/logs/           controller and agent logs

import { join } from "node:path";
import { backgroundFiles, type BackgroundFiles } from "../../devenv/background.ts";

export interface DemoPaths extends BackgroundFiles {
  dir: string;
  fleetFile: string;
  reportFile: string;
  planeDir: string;
  hostsDir: string;
  logsDir: string;
  /** the pid file of `npm run cluster:up`, which uses the same env file */
  clusterPidFile: string;
}

export function demoPaths(root: string): DemoPaths {
  const dir = join(root, "demo");
  return {
    ...backgroundFiles(root, "demo"),
    dir,
    fleetFile: join(dir, "fleet.json"),
    reportFile: join(root, "fleet-report.html"),
    planeDir: join(dir, "plane"),
    hostsDir: join(dir, "hosts"),
    logsDir: join(dir, "logs"),
    clusterPidFile: backgroundFiles(root, "cluster").pidFile,
  };
}

export function hostStateDir(paths: DemoPaths, hostId: string): string {
  return join(paths.hostsDir, hostId);
}
