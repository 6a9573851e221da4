// The Node 24 base image assembled without an image registry: the cached
// Debian bookworm minbase root (devenv/toolchain/debian-root.ts), npm's own
// build of Node (the `node` dependency, stripped of its debug symbols) as
// /usr/local/bin/node and npm's `npm` package under /usr/local/lib, laid out
// as the official node images are, so Containerfile treats both alike.
// Kept in buildah's store in the project cache; rebuilt only when missing.

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureDebianRoot, DEBIAN_SUITE } from "../../devenv/toolchain/debian-root.ts";
import { REPO_ROOT } from "../../devenv/repo-root.ts";
import type { Buildah } from "./buildah.ts";

/** npm for the base's build stage (the official Node 24 images carry an npm 11). */
export const NPM_VERSION = "11.21.3";

export function nodeVersion(): string {
  return (JSON.parse(readFileSync(join(REPO_ROOT, "node_modules", "node", "package.json"), "utf8")) as { version: string }).version;
}

export function nodeBaseImage(): string {
  return `localhost/cpuid-fleet-node-base:${nodeVersion()}-${DEBIAN_SUITE}`;
}

function sh(command: string, args: string[], cwd?: string): void {
  const r = spawnSync(command, args, { cwd, stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (exit ${r.status ?? r.signal})`);
}

/** The base's name, assembled first when buildah's store lacks it. */
export async function ensureNodeBase(buildah: Buildah, log: (line: string) => void): Promise<string> {
  const image = nodeBaseImage();
  if (buildah.imageExists(image)) return image;
  const debianRoot = await ensureDebianRoot({ log });
  log(`assembling ${image}: Debian ${DEBIAN_SUITE} minbase + Node ${nodeVersion()} + npm ${NPM_VERSION}`);
  const work = mkdtempSync(join(tmpdir(), "cpuid-fleet-node-base-"));
  const container = buildah.run(["from", "scratch"]);
  try {
    const mnt = buildah.run(["mount", container]);
    // cp -a: owners, setuid bits and the device nodes debootstrap made
    sh("cp", ["-a", `${debianRoot}/.`, mnt]);
    const bin = join(mnt, "usr", "local", "bin");
    mkdirSync(bin, { recursive: true });
    sh("strip", ["-o", join(bin, "node"), join(REPO_ROOT, "node_modules", "node", "bin", "node")]);
    sh("npm", ["pack", "--silent", `npm@${NPM_VERSION}`, "--pack-destination", work]);
    const npmDir = join(mnt, "usr", "local", "lib", "node_modules", "npm");
    mkdirSync(npmDir, { recursive: true });
    sh("tar", ["-xzf", join(work, `npm-${NPM_VERSION}.tgz`), "--strip-components=1", "-C", npmDir]);
    symlinkSync("../lib/node_modules/npm/bin/npm-cli.js", join(bin, "npm"));
    symlinkSync("../lib/node_modules/npm/bin/npx-cli.js", join(bin, "npx"));
    buildah.run(["umount", container]);
    buildah.run(["config", "--env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "--env", `NODE_VERSION=${nodeVersion()}`, "--cmd", "node", container]);
    buildah.run(["commit", "--rm", container, image]);
    return image;
  } catch (err) {
    spawnSync("buildah", [...buildah.storage, "rm", container], { stdio: "ignore" });
    throw err;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
