// Builds the Go binaries from the Go module proxy: nats-server and promtool
// with a plain `go install`, etcd and the Kubernetes commands through
// generated wrapper modules (go-wrapper.ts). Static builds (CGO_ENABLED=0),
// -trimpath, the local Go toolchain only.

import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildDir, buildLogFile } from "./cache.ts";
import {
  goDirective,
  kubernetesVersionLdflags,
  kubernetesWrapperGoMod,
  plainWrapperGoMod,
  prometheusModuleVersion,
  prometheusVersionLdflags,
} from "./go-wrapper.ts";
import { runLogged } from "./run-logged.ts";

export interface GoBuildContext {
  cacheRoot: string;
  log: (line: string) => void;
}

export type KubernetesCommand = "kube-apiserver" | "kubectl";

const WRAPPER_MODULE_PREFIX = "example.invalid/cpuid-fleet-testbin";

export async function buildNatsServer(ctx: GoBuildContext, version: string, outFile: string): Promise<void> {
  await goInstall(ctx, "nats-server", version, outFile, ["-ldflags=-s -w", `github.com/nats-io/nats-server/v2@${version}`]);
}

/**
 * Rule checks need no service discovery: upstream's `remove_all_sd` build tag
 * leaves out the cloud SD plugins (AWS, Azure, GCE, …) and their SDKs.
 */
export async function buildPromtool(ctx: GoBuildContext, version: string, outFile: string): Promise<void> {
  await goInstall(ctx, "promtool", version, outFile, [
    "-tags=remove_all_sd",
    `-ldflags=${prometheusVersionLdflags(version)}`,
    `github.com/prometheus/prometheus/cmd/promtool@${prometheusModuleVersion(version)}`,
  ]);
}

/**
 * toxiproxy's `version.go` says "git" unless the release build sets it, so the
 * pinned version goes in through -X (the `-version` check reads it).
 */
export async function buildToxiproxyServer(ctx: GoBuildContext, version: string, outFile: string): Promise<void> {
  const module = "github.com/Shopify/toxiproxy/v2";
  await goInstall(
    ctx,
    "toxiproxy-server",
    version,
    outFile,
    [`-ldflags=-s -w -X ${module}.Version=${version.replace(/^v/, "")}`, `${module}/cmd/server@${version}`],
    "server",
  );
}

/**
 * `go install` of a module whose go.mod allows it (no replace directives);
 * `installedName` is what Go names the binary (the last path element).
 */
async function goInstall(
  ctx: GoBuildContext,
  name: string,
  version: string,
  outFile: string,
  args: string[],
  installedName = name,
): Promise<void> {
  // `go install` names the binary itself, so install into a private directory
  // and move the result into place.
  const stage = `${outFile}.staging-${process.pid}`;
  mkdirSync(stage, { recursive: true });
  try {
    await go(ctx, name, version, stage, ["install", "-v", ...args], { GOBIN: stage });
    renameSync(join(stage, installedName), outFile);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

export async function buildEtcd(ctx: GoBuildContext, version: string, outFile: string): Promise<void> {
  const dir = buildDir(ctx.cacheRoot, "etcd", version);
  const serverGoMod = downloadGoMod(`go.etcd.io/etcd/server/v3@${version}`);
  writeWrapper(dir, plainWrapperGoMod(`${WRAPPER_MODULE_PREFIX}/etcd`, goDirective(serverGoMod)));
  await go(ctx, "etcd", version, dir, ["get", `go.etcd.io/etcd/server/v3@${version}`]);
  const partial = partialPath(outFile);
  await go(ctx, "etcd", version, dir, ["build", "-v", "-ldflags=-s -w", "-o", partial, "go.etcd.io/etcd/server/v3"]);
  renameSync(partial, outFile);
}

/** kube-apiserver and kubectl share one wrapper module (and so one go.sum). */
export async function buildKubernetesCommand(
  ctx: GoBuildContext,
  command: KubernetesCommand,
  version: string,
  outFile: string,
): Promise<void> {
  const dir = buildDir(ctx.cacheRoot, "kubernetes", version);
  const upstreamGoMod = downloadGoMod(`k8s.io/kubernetes@${version}`);
  writeWrapper(dir, kubernetesWrapperGoMod(`${WRAPPER_MODULE_PREFIX}/kubernetes`, version, upstreamGoMod));
  await go(ctx, command, version, dir, ["get", `k8s.io/kubernetes/cmd/kube-apiserver@${version}`, `k8s.io/kubernetes/cmd/kubectl@${version}`]);
  const partial = partialPath(outFile);
  await go(ctx, command, version, dir, [
    "build",
    "-v",
    `-ldflags=${kubernetesVersionLdflags(version)}`,
    "-o",
    partial,
    `k8s.io/kubernetes/cmd/${command}`,
  ]);
  renameSync(partial, outFile);
}

function goEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, GOTOOLCHAIN: "local", CGO_ENABLED: "0", GOFLAGS: "-trimpath", ...extra };
}

async function go(
  ctx: GoBuildContext,
  name: string,
  version: string,
  cwd: string,
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<void> {
  await runLogged({
    label: `${name} ${version}: go ${args[0]}`,
    command: "go",
    args,
    cwd,
    env: goEnv(extraEnv),
    logFile: buildLogFile(ctx.cacheRoot, name, version),
    log: ctx.log,
  });
}

/** Fetches a module's go.mod through the module proxy and returns its text. */
function downloadGoMod(moduleAtVersion: string): string {
  const info = JSON.parse(
    execFileSync("go", ["mod", "download", "-json", moduleAtVersion], { env: goEnv(), encoding: "utf8", cwd: "/" }),
  ) as { GoMod?: string; Error?: string };
  if (!info.GoMod) throw new Error(`go mod download ${moduleAtVersion}: ${info.Error ?? "no go.mod"}`);
  return readFileSync(info.GoMod, "utf8");
}

/**
 * Writes the wrapper's go.mod unless the same text was generated before (`go
 * get` rewrites go.mod, so the generated text is kept beside it); a changed
 * wrapper starts again from an empty go.sum.
 */
function writeWrapper(dir: string, goMod: string): void {
  mkdirSync(dir, { recursive: true });
  const generated = join(dir, "go.mod.generated");
  if (readIfExists(generated) === goMod && readIfExists(join(dir, "go.mod")) !== undefined) return;
  rmSync(join(dir, "go.sum"), { force: true });
  writeFileSync(join(dir, "go.mod"), goMod);
  writeFileSync(generated, goMod);
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function partialPath(outFile: string): string {
  return `${outFile}.partial-${process.pid}`;
}

