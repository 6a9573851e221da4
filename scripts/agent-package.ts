// npm run agent-package: the agent as one Debian package for a Xen dom0,
// .cpuid-fleet/packages/cpuid-fleet-agent_<version>_amd64.deb, with its own
// Node runtime (npm's Node 24 build, stripped), the compiled modules the agent
// loads and the npm packages they import (nothing of the controller), the
// hardened systemd unit and its environment file (deploy/agent/).
//
//   /usr/bin/cpuid-fleet-agent                  → /usr/lib/cpuid-fleet-agent/bin/cpuid-fleet-agent
//   /usr/lib/cpuid-fleet-agent/                 bin/, dist/, node_modules/ (node itself in node_modules/node/bin)
//   /lib/systemd/system/cpuid-fleet-agent.service
//   /etc/default/cpuid-fleet-agent              settings (a conffile)
//   /etc/cpuid-fleet-agent/                     0700, for the host's seed nats.nk
//   /usr/share/doc/cpuid-fleet-agent/README.md

import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, sep } from "node:path";
import { REPO_ROOT } from "../devenv/repo-root.ts";
import { formatDuration } from "../devenv/toolchain/run-logged.ts";
import { lockClosure, type PackageLock } from "./agent-package/lock-closure.ts";
import { moduleGraph } from "./agent-package/module-graph.ts";
import packageJson from "../package.json" with { type: "json" };

export const AGENT_PACKAGE = "cpuid-fleet-agent";
const LIB = `usr/lib/${AGENT_PACKAGE}`;
const DEPLOY = join(REPO_ROOT, "deploy", "agent");
export const AGENT_DEB_NAME = `${AGENT_PACKAGE}_${packageJson.version}_amd64.deb`;
const PACKAGES_DIR = join(REPO_ROOT, ".cpuid-fleet", "packages");

export interface BuiltPackage {
  deb: string;
  /** bytes of the .deb */
  size: number;
  installedKiB: number;
  buildMs: number;
}

const log = (line: string) => console.log(`[agent-package] ${line}`);

function run(command: string, args: string[], cwd = REPO_ROOT): void {
  const r = spawnSync(command, args, { cwd, stdio: ["ignore", "inherit", "inherit"] });
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (exit ${r.status ?? r.signal})`);
}

function installedKiB(dir: string): number {
  const r = spawnSync("du", ["-sk", "--apparent-size", dir], { encoding: "utf8" });
  return Number(r.stdout.split("\t")[0]);
}

/** The compiled agent and what it loads, as the tree under /usr/lib/cpuid-fleet-agent. */
function stageRuntime(lib: string): void {
  const dist = join(REPO_ROOT, "dist");
  const graph = moduleGraph(join(dist, "agent", "main.js"));
  for (const file of graph.files) {
    mkdirSync(dirname(join(lib, "dist", relative(dist, file))), { recursive: true });
    copyFileSync(file, join(lib, "dist", relative(dist, file)));
  }
  writeFileSync(join(lib, "dist", ".built"), "");
  writeFileSync(join(lib, "package.json"), `${JSON.stringify({ name: AGENT_PACKAGE, version: packageJson.version, private: true, type: "module" }, null, 2)}\n`);

  const lock = JSON.parse(readFileSync(join(REPO_ROOT, "package-lock.json"), "utf8")) as PackageLock;
  const packages = lockClosure(lock, graph.packages);
  log(`${graph.files.length} compiled modules, ${packages.length} npm packages: ${graph.packages.join(", ")} and their dependencies`);
  for (const path of packages) {
    // nested node_modules are in the closure on their own when needed
    cpSync(join(REPO_ROOT, path), join(lib, path), { recursive: true, filter: (src) => !relative(join(REPO_ROOT, path), src).split(sep).includes("node_modules") });
  }
  mkdirSync(join(lib, "node_modules", "node", "bin"), { recursive: true });
  run("strip", ["-o", join(lib, "node_modules", "node", "bin", "node"), join(REPO_ROOT, "node_modules", "node", "bin", "node")]);
  mkdirSync(join(lib, "node_modules", ".bin"));
  symlinkSync("../node/bin/node", join(lib, "node_modules", ".bin", "node"));

  mkdirSync(join(lib, "bin"));
  for (const bin of ["cpuid-fleet-agent", "daemon-launcher.sh"]) copyFileSync(join(REPO_ROOT, "bin", bin), join(lib, "bin", bin));
  chmodSync(join(lib, "bin", "cpuid-fleet-agent"), 0o755);
}

function stageSystem(stage: string): void {
  const put = (from: string, to: string, mode: number) => {
    mkdirSync(dirname(join(stage, to)), { recursive: true });
    copyFileSync(from, join(stage, to));
    chmodSync(join(stage, to), mode);
  };
  mkdirSync(join(stage, "usr", "bin"), { recursive: true });
  symlinkSync(`../lib/${AGENT_PACKAGE}/bin/cpuid-fleet-agent`, join(stage, "usr", "bin", "cpuid-fleet-agent"));
  put(join(DEPLOY, "cpuid-fleet-agent.service"), `lib/systemd/system/${AGENT_PACKAGE}.service`, 0o644);
  put(join(DEPLOY, "cpuid-fleet-agent.env"), `etc/default/${AGENT_PACKAGE}`, 0o644);
  put(join(DEPLOY, "README.md"), `usr/share/doc/${AGENT_PACKAGE}/README.md`, 0o644);
  mkdirSync(join(stage, "etc", AGENT_PACKAGE), { mode: 0o700 });
  chmodSync(join(stage, "etc", AGENT_PACKAGE), 0o700);
}

function stageControl(stage: string, nodeVersion: string, installed: number): void {
  const control = join(stage, "DEBIAN");
  mkdirSync(control);
  const text = readFileSync(join(DEPLOY, "debian", "control"), "utf8")
    .replaceAll("@VERSION@", packageJson.version)
    .replaceAll("@INSTALLED_SIZE@", String(installed))
    .replaceAll("@NODE_VERSION@", nodeVersion);
  writeFileSync(join(control, "control"), text);
  copyFileSync(join(DEPLOY, "debian", "conffiles"), join(control, "conffiles"));
  for (const script of ["postinst", "prerm", "postrm"]) {
    copyFileSync(join(DEPLOY, "debian", script), join(control, script));
    chmodSync(join(control, script), 0o755);
  }
}

/** dist/ was built after the last change to a source it holds (bin/daemon-launcher.sh asks the same). */
function distIsCurrent(): boolean {
  const built = join(REPO_ROOT, "dist", ".built");
  if (!existsSync(built)) return false;
  const since = statSync(built).mtimeMs;
  return ["agent", "cli", "controller", "runtime", "shared"].every((dir) =>
    readdirSync(join(REPO_ROOT, dir), { recursive: true, encoding: "utf8" }).every((f) => !f.endsWith(".ts") || statSync(join(REPO_ROOT, dir, f)).mtimeMs <= since),
  );
}

/** xz for release (smallest); the tests' gzip -1 packs the same files in a fraction of the CPU time. */
export type Compression = "xz" | "gzip-fast";

export interface PackageOptions {
  compression?: Compression;
  /** default .cpuid-fleet/packages */
  outDir?: string;
}

export function buildAgentPackage({ compression = "xz", outDir = PACKAGES_DIR }: PackageOptions = {}): BuiltPackage {
  const deb = join(outDir, AGENT_DEB_NAME);
  const started = Date.now();
  if (!distIsCurrent()) {
    log("compiling (npm run build)");
    run("npm", ["run", "--silent", "build"]);
  }
  const stage = mkdtempSync(join(tmpdir(), "cpuid-fleet-agent-deb-"));
  try {
    const nodeVersion = (JSON.parse(readFileSync(join(REPO_ROOT, "node_modules", "node", "package.json"), "utf8")) as { version: string }).version;
    stageRuntime(join(stage, LIB));
    stageSystem(stage);
    const installed = installedKiB(stage);
    stageControl(stage, nodeVersion, installed);
    mkdirSync(outDir, { recursive: true });
    rmSync(deb, { force: true });
    log(`dpkg-deb --build (${compression}) → ${deb}`);
    run("dpkg-deb", ["--root-owner-group", ...(compression === "xz" ? ["-Zxz"] : ["-Zgzip", "-z1"]), "--build", stage, deb]);
    return { deb, size: statSync(deb).size, installedKiB: installed, buildMs: Date.now() - started };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  try {
    const p = buildAgentPackage();
    log(`${p.deb}: ${(p.size / 1e6).toFixed(1)} MB (${(p.installedKiB / 1024).toFixed(1)} MiB installed), built in ${formatDuration(p.buildMs)}`);
  } catch (err) {
    console.error(`[agent-package] failed: ${(err as Error).message}`);
    process.exit(1);
  }
}
