// Finds or provides every pinned external binary:
//   1. $KUBEBUILDER_ASSETS/<name> (Kubernetes binaries) when it reports the pinned version,
//   2. the versioned cache (cache.ts),
//   3. <name> on PATH when it reports the pinned version,
//   4. otherwise built from Go modules / unpacked from Debian into the cache,
//      one at a time, under a lock shared by every run on this machine.
//
// Run standalone: node scripts/toolchain/ensure.ts [name ...]

import { execFileSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync } from "node:fs";
import { delimiter, join } from "node:path";
import { BINARIES, BINARY_NAMES, type BinaryName, type BinarySpec, providerHint, reportsVersion } from "./binaries.ts";
import { cacheRoot, cachedBinaryDir, lockFile } from "./cache.ts";
import { buildEtcd, buildKubernetesCommand, buildNatsServer, goVersion } from "./go-build.ts";
import { withFileLock } from "./lock.ts";
import { extractPromtool, hasAptGet } from "./promtool.ts";
import { formatDuration } from "./run-logged.ts";

export type BinarySource = "KUBEBUILDER_ASSETS" | "cache" | "PATH" | "built";

export interface ResolvedBinary {
  name: BinaryName;
  version: string;
  path: string;
  source: BinarySource;
}

export type ResolvedBinaries = Record<BinaryName, ResolvedBinary>;

export interface EnsureOptions {
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export class MissingBinaryError extends Error {
  override name = "MissingBinaryError";
}

export async function ensureBinaries(
  names: readonly BinaryName[] = BINARY_NAMES,
  options: EnsureOptions = {},
): Promise<Partial<ResolvedBinaries>> {
  const log = options.log ?? ((line: string) => console.error(`[toolchain] ${line}`));
  const env = options.env ?? process.env;
  const root = cacheRoot(env);
  const resolved: Partial<ResolvedBinaries> = {};
  const notes = new Map<BinaryName, string[]>();
  const missing: BinarySpec[] = [];
  for (const name of names) {
    const spec = BINARIES[name];
    const found = findExisting(spec, root, env, (note) => notes.set(name, [...(notes.get(name) ?? []), note]));
    if (found) resolved[name] = found;
    else missing.push(spec);
  }
  if (missing.length === 0) return resolved;

  assertProvidable(missing, notes);
  await withFileLock(lockFile(root), { purpose: `providing ${missing.map((s) => s.name).join(", ")}`, log }, async () => {
    for (const spec of missing) {
      const outFile = cachedBinaryPath(root, spec);
      if (isExecutable(outFile)) {
        resolved[spec.name] = { name: spec.name, version: spec.version, path: outFile, source: "cache" };
        continue; // another run provided it while we waited for the lock
      }
      resolved[spec.name] = await provide(spec, root, outFile, log);
    }
  });
  return resolved;
}

/** Resolves all five binaries. */
export async function ensureAllBinaries(options: EnsureOptions = {}): Promise<ResolvedBinaries> {
  return (await ensureBinaries(BINARY_NAMES, options)) as ResolvedBinaries;
}

function cachedBinaryPath(root: string, spec: BinarySpec): string {
  return join(cachedBinaryDir(root, spec.name, spec.version), spec.name);
}

function findExisting(
  spec: BinarySpec,
  root: string,
  env: NodeJS.ProcessEnv,
  note: (line: string) => void,
): ResolvedBinary | undefined {
  const candidate = (path: string, source: BinarySource): ResolvedBinary => ({ name: spec.name, version: spec.version, path, source });
  if (spec.inKubebuilderAssets && env.KUBEBUILDER_ASSETS) {
    const path = join(env.KUBEBUILDER_ASSETS, spec.name);
    if (isExecutable(path)) {
      const reported = versionOutput(path, spec);
      if (reportsVersion(reported, spec.version)) return candidate(path, "KUBEBUILDER_ASSETS");
      note(`${path} reports "${firstLine(reported)}", not ${spec.version}`);
    } else {
      note(`no ${spec.name} in KUBEBUILDER_ASSETS=${env.KUBEBUILDER_ASSETS}`);
    }
  }
  const cached = cachedBinaryPath(root, spec);
  if (isExecutable(cached)) return candidate(cached, "cache");
  note(`not in the cache (${cached})`);
  const onPath = whichOnPath(spec.name, env);
  if (onPath) {
    const reported = versionOutput(onPath, spec);
    if (reportsVersion(reported, spec.version)) return candidate(onPath, "PATH");
    note(`${onPath} reports "${firstLine(reported)}", not ${spec.version}`);
  } else {
    note(`not on PATH`);
  }
  return undefined;
}

function assertProvidable(missing: readonly BinarySpec[], notes: Map<BinaryName, string[]>): void {
  const unavailable = new Map<string, boolean>([
    ["go", goVersion() === undefined],
    ["debian", !hasAptGet()],
  ]);
  const blocked = missing.filter((spec) => unavailable.get(spec.provider));
  if (blocked.length === 0) return;
  const lines = blocked.map((spec) =>
    [
      `- ${spec.name} ${spec.version}: ${(notes.get(spec.name) ?? []).join("; ")}`,
      `  and it cannot be provided here: ${spec.provider === "go" ? "`go` is not installed" : "`apt-get` is not available"}.`,
      `  To fix: ${providerHint(spec.provider)}` +
        (spec.inKubebuilderAssets ? `, or set KUBEBUILDER_ASSETS to a directory holding ${spec.name} ${spec.version}.` : "."),
    ].join("\n"),
  );
  throw new MissingBinaryError(`missing binaries for the local control plane:\n${lines.join("\n")}`);
}

async function provide(spec: BinarySpec, root: string, outFile: string, log: (line: string) => void): Promise<ResolvedBinary> {
  mkdirSync(join(outFile, ".."), { recursive: true });
  const ctx = { cacheRoot: root, log };
  const started = Date.now();
  log(
    spec.provider === "go"
      ? `building ${spec.name} ${spec.version} from Go modules into ${outFile} (a cold build takes minutes; see BENCHMARKS.md)`
      : `unpacking ${spec.name} ${spec.version} from Debian's prometheus package into ${outFile}`,
  );
  switch (spec.name) {
    case "nats-server":
      await buildNatsServer(ctx, spec.version, outFile);
      break;
    case "etcd":
      await buildEtcd(ctx, spec.version, outFile);
      break;
    case "kube-apiserver":
    case "kubectl":
      await buildKubernetesCommand(ctx, spec.name, spec.version, outFile);
      break;
    case "promtool":
      await extractPromtool(ctx, spec.version, outFile);
      break;
  }
  const reported = versionOutput(outFile, spec);
  if (!reportsVersion(reported, spec.version)) {
    throw new Error(`${outFile} was provided but reports "${firstLine(reported)}", not ${spec.version}`);
  }
  log(`${spec.name} ${spec.version} ready after ${formatDuration(Date.now() - started)}`);
  return { name: spec.name, version: spec.version, path: outFile, source: "built" };
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
    if (!dir) continue;
    const path = join(dir, name);
    if (isExecutable(path)) return path;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return existsSync(path);
  } catch {
    return false;
  }
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0] ?? "";
}

if (import.meta.main) {
  const requested = process.argv.slice(2) as BinaryName[];
  for (const name of requested) {
    if (!BINARY_NAMES.includes(name)) {
      console.error(`unknown binary ${name}; known: ${BINARY_NAMES.join(", ")}`);
      process.exit(2);
    }
  }
  try {
    const resolved = await ensureBinaries(requested.length > 0 ? requested : BINARY_NAMES);
    for (const b of Object.values(resolved)) console.log(`${b.name}\t${b.version}\t${b.path}\t(${b.source})`);
  } catch (err) {
    console.error(err instanceof MissingBinaryError ? err.message : err);
    process.exit(1);
  }
}
