// Files of the developer cluster, all under the repo's git-ignored
// .cpuid-fleet/ directory.

import { join } from "node:path";

export interface ClusterPaths {
  root: string;
  planeDir: string;
  envFile: string;
  pidFile: string;
  logFile: string;
}

export function clusterPaths(repoRoot: string): ClusterPaths {
  const root = join(repoRoot, ".cpuid-fleet");
  return {
    root,
    planeDir: join(root, "plane"),
    envFile: join(root, "env"),
    pidFile: join(root, "cluster.pid"),
    logFile: join(root, "cluster.log"),
  };
}
