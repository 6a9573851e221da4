// Finds or provides every pinned external binary (binaries.ts):
//   1. $KUBEBUILDER_ASSETS/<name> (Kubernetes binaries) at the pinned version,
//   2. the versioned cache (cache.ts),
//   3. <name> on PATH at the pinned version,
//   4. otherwise built from Go modules / unpacked from Debian into the cache
//      by a detached provider process (background-provider.ts).
//
//   node devenv/toolchain/ensure.ts [name ...]     resolve (and provide), print paths
//   node devenv/toolchain/ensure.ts --provide ...  the provider itself (internal)

import { execFileSync } from "node:child_process";
import { BINARIES, BINARY_NAMES, type BinaryName, type BinarySpec, providerHint } from "./binaries.ts";
import { cacheRoot } from "./cache.ts";
import { provideInBackground, providerLogFile } from "./background-provider.ts";
import { provideMissing } from "./provide.ts";
import { findExisting, type ResolvedBinary } from "./resolve.ts";
import { tailLines } from "./run-logged.ts";

export type { BinarySource, ResolvedBinary } from "./resolve.ts";
export type ResolvedBinaries = Record<BinaryName, ResolvedBinary>;

export interface EnsureOptions {
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export class MissingBinaryError extends Error {
  override name = "MissingBinaryError";
}

const defaultLog = (line: string) => console.error(`[toolchain] ${line}`);

export async function ensureBinaries(
  names: readonly BinaryName[] = BINARY_NAMES,
  options: EnsureOptions = {},
): Promise<Partial<ResolvedBinaries>> {
  const log = options.log ?? defaultLog;
  const env = options.env ?? process.env;
  const root = cacheRoot(env);
  const resolved: Partial<ResolvedBinaries> = {};
  const notes = new Map<BinaryName, string[]>();
  const missing: BinarySpec[] = [];
  for (const name of names) {
    const note = (line: string) => notes.set(name, [...(notes.get(name) ?? []), line]);
    const found = findExisting(BINARIES[name], root, env, note);
    if (found) resolved[name] = found;
    else missing.push(BINARIES[name]);
  }
  if (missing.length === 0) return resolved;

  assertProvidable(missing, notes);
  await provideInBackground(missing.map((s) => s.name), root, log);
  for (const spec of missing) {
    const found = findExisting(spec, root, env);
    if (!found) throw new Error(`${spec.name} ${spec.version} is still missing after providing it; see ${providerLogFile(root)}:\n${tailLines(providerLogFile(root), 20)}`);
    resolved[spec.name] = { ...found, source: "built" };
  }
  return resolved;
}

export async function ensureAllBinaries(options: EnsureOptions = {}): Promise<ResolvedBinaries> {
  return (await ensureBinaries(BINARY_NAMES, options)) as ResolvedBinaries;
}

function assertProvidable(missing: readonly BinarySpec[], notes: Map<BinaryName, string[]>): void {
  const unavailable = { go: !commandWorks("go", ["version"]), debian: !commandWorks("apt-get", ["--version"]) };
  const blocked = missing.filter((spec) => unavailable[spec.provider]);
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

function commandWorks(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: "ignore", timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

function parseNames(args: readonly string[]): BinaryName[] {
  for (const name of args) {
    if (!(BINARY_NAMES as readonly string[]).includes(name)) {
      throw new MissingBinaryError(`unknown binary ${name}; known: ${BINARY_NAMES.join(", ")}`);
    }
  }
  return args.length > 0 ? (args as BinaryName[]) : [...BINARY_NAMES];
}

if (import.meta.main) {
  try {
    const args = process.argv.slice(2);
    if (args[0] === "--provide") {
      const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
      await provideMissing(parseNames(args.slice(1)), cacheRoot(), log);
    } else {
      const resolved = await ensureBinaries(parseNames(args));
      for (const b of Object.values(resolved)) console.log(`${b.name}\t${b.version}\t${b.path}\t(${b.source})`);
    }
  } catch (err) {
    console.error(err instanceof MissingBinaryError ? err.message : err);
    process.exit(1);
  }
}
