// Finding a pinned binary that already exists: $KUBEBUILDER_ASSETS (the
// Kubernetes binaries), the versioned cache, then PATH. A binary outside the
// cache is used only when it reports exactly the pinned version.

import { execFileSync } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { type BinaryName, type BinarySpec, reportsVersion } from "./binaries.ts";
import { cachedBinaryDir } from "./cache.ts";

export type BinarySource = "KUBEBUILDER_ASSETS" | "cache" | "PATH" | "built";

export interface ResolvedBinary {
  name: BinaryName;
  version: string;
  path: string;
  source: BinarySource;
}

export function cachedBinaryPath(root: string, spec: BinarySpec): string {
  return join(cachedBinaryDir(root, spec.name, spec.version), spec.name);
}

/** The existing binary to use, or undefined; `note` hears why candidates were passed over. */
export function findExisting(
  spec: BinarySpec,
  root: string,
  env: NodeJS.ProcessEnv,
  note: (line: string) => void = () => {},
): ResolvedBinary | undefined {
  const found = (path: string, source: BinarySource): ResolvedBinary => ({ name: spec.name, version: spec.version, path, source });
  if (spec.inKubebuilderAssets && env.KUBEBUILDER_ASSETS) {
    const path = join(env.KUBEBUILDER_ASSETS, spec.name);
    if (!isExecutableFile(path)) note(`no ${spec.name} in KUBEBUILDER_ASSETS=${env.KUBEBUILDER_ASSETS}`);
    else if (hasVersion(path, spec, note)) return found(path, "KUBEBUILDER_ASSETS");
  }
  const cached = cachedBinaryPath(root, spec);
  if (isExecutableFile(cached)) return found(cached, "cache");
  note(`not in the cache (${cached})`);
  const onPath = whichOnPath(spec.name, env);
  if (!onPath) note("not on PATH");
  else if (hasVersion(onPath, spec, note)) return found(onPath, "PATH");
  return undefined;
}

/** Whether the binary at `path` reports the pinned version (else notes what it reports). */
export function hasVersion(path: string, spec: BinarySpec, note: (line: string) => void): boolean {
  const reported = versionOutput(path, spec);
  if (reportsVersion(reported, spec.version)) return true;
  note(`${path} reports "${reported.trim().split("\n")[0] ?? ""}", not ${spec.version}`);
  return false;
}

function versionOutput(path: string, spec: BinarySpec): string {
  try {
    return execFileSync(path, spec.versionArgs, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 15_000 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return `${e.stdout ?? ""}${e.stderr ?? ""}` || e.message;
  }
}

function whichOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir && isExecutableFile(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
