// Finds or provides pinned external binaries (binaries.ts):
//   1. $KUBEBUILDER_ASSETS/<name> (Kubernetes binaries) at the pinned version,
//   2. the versioned cache (cache.ts),
//   3. <name> on PATH at the pinned version,
//   4. otherwise built from Go modules into the cache by a detached provider
//      process (background-provider.ts).
// Each caller asks only for what it runs: the control plane for its four
// servers and kubectl, the rule test for promtool.
//
//   node devenv/toolchain/ensure.ts [name ...]     resolve (and provide), print paths; default: all
//   node devenv/toolchain/ensure.ts --provide ...  the provider itself (internal)

import { execFileSync } from "node:child_process";
import {
  BINARIES,
  BINARY_NAMES,
  type BinaryName,
  type BinarySpec,
  CONTROL_PLANE_BINARIES,
  type ControlPlaneBinaryName,
  GO_TOOLCHAIN_HINT,
} from "./binaries.ts";
import { cacheRoot } from "./cache.ts";
import { provideInBackground, providerLogFile } from "./background-provider.ts";
import { provideMissing } from "./provide.ts";
import { findExisting, type ResolvedBinary } from "./resolve.ts";
import { tailLines } from "./run-logged.ts";

export type { BinarySource, ResolvedBinary } from "./resolve.ts";
export type ControlPlaneBinaries = Record<ControlPlaneBinaryName, ResolvedBinary>;

export interface EnsureOptions {
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export class MissingBinaryError extends Error {
  override name = "MissingBinaryError";
}

const defaultLog = (line: string) => console.error(`[toolchain] ${line}`);

export async function ensureBinaries<N extends BinaryName>(
  names: readonly N[],
  options: EnsureOptions = {},
): Promise<Record<N, ResolvedBinary>> {
  const log = options.log ?? defaultLog;
  const env = options.env ?? process.env;
  const root = cacheRoot(env);
  const resolved: Partial<Record<BinaryName, ResolvedBinary>> = {};
  const notes = new Map<BinaryName, string[]>();
  const missing: BinarySpec[] = [];
  for (const name of names) {
    const note = (line: string) => notes.set(name, [...(notes.get(name) ?? []), line]);
    const found = findExisting(BINARIES[name], root, env, note);
    if (found) resolved[name] = found;
    else missing.push(BINARIES[name]);
  }
  if (missing.length === 0) return resolved as Record<N, ResolvedBinary>;

  assertProvidable(missing, notes, env);
  await provideInBackground(missing.map((s) => s.name), root, log);
  for (const spec of missing) {
    const found = findExisting(spec, root, env);
    if (!found) throw new Error(`${spec.name} ${spec.version} is still missing after providing it; see ${providerLogFile(root)}:\n${tailLines(providerLogFile(root), 20)}`);
    resolved[spec.name] = { ...found, source: "built" };
  }
  return resolved as Record<N, ResolvedBinary>;
}

/** etcd, kube-apiserver, kubectl and nats-server: what the local control plane runs. */
export function ensureControlPlaneBinaries(options: EnsureOptions = {}): Promise<ControlPlaneBinaries> {
  return ensureBinaries(CONTROL_PLANE_BINARIES, options);
}

function assertProvidable(missing: readonly BinarySpec[], notes: Map<BinaryName, string[]>, env: NodeJS.ProcessEnv): void {
  if (commandWorks("go", ["version"], env)) return;
  const lines = missing.map((spec) =>
    [
      `- ${spec.name} ${spec.version}: ${(notes.get(spec.name) ?? []).join("; ")}`,
      "  and it cannot be built here: `go` is not installed.",
      `  To fix: ${GO_TOOLCHAIN_HINT}` +
        (spec.inKubebuilderAssets
          ? `, or set KUBEBUILDER_ASSETS to a directory holding ${spec.name} ${spec.version}.`
          : `, or put ${spec.name} ${spec.version} on PATH.`),
    ].join("\n"),
  );
  throw new MissingBinaryError(`missing binaries:\n${lines.join("\n")}`);
}

function commandWorks(command: string, args: string[], env: NodeJS.ProcessEnv): boolean {
  try {
    execFileSync(command, args, { stdio: "ignore", timeout: 30_000, env });
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
