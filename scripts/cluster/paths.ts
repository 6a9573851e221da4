// Files of the developer cluster, all under the repo's git-ignored
// .cpuid-fleet/ directory: the background files (devenv/background.ts) and
// the plane's directory.

import { join } from "node:path";
import { backgroundFiles, type BackgroundFiles } from "../../devenv/background.ts";

export interface ClusterPaths extends BackgroundFiles {
  planeDir: string;
}

export function clusterPaths(repoRoot: string): ClusterPaths {
  const root = join(repoRoot, ".cpuid-fleet");
  return { ...backgroundFiles(root, "cluster"), planeDir: join(root, "plane") };
}
