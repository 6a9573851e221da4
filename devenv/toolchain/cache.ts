// Layout of the binary cache outside the repo:
//
//   <root>/bin/<name>-<version>/<name>    finished binaries (written atomically)
//   <root>/build/<module>-<version>/      generated Go wrapper modules
//   <root>/build/logs/<name>-<version>.log
//   <root>/lock                           held while anything is being provided
//
// <root> is $CPUID_FLEET_CACHE, else $XDG_CACHE_HOME/cpuid-fleet, else
// ~/.cache/cpuid-fleet.

import { homedir } from "node:os";
import { join } from "node:path";

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CPUID_FLEET_CACHE) return env.CPUID_FLEET_CACHE;
  const xdg = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(xdg, "cpuid-fleet");
}

export function cachedBinaryDir(root: string, name: string, version: string): string {
  return join(root, "bin", `${name}-${version}`);
}

export function buildDir(root: string, module: string, version: string): string {
  return join(root, "build", `${module}-${version}`);
}

export function buildLogFile(root: string, name: string, version: string): string {
  return join(root, "build", "logs", `${name}-${version}.log`);
}

export function lockFile(root: string): string {
  return join(root, "lock");
}
