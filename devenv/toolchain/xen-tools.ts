// Xen 4.17's real tools and libraries from Debian bookworm, unpacked into the
// project cache without installing anything: `xen-cpuid` (decodes featuresets
// offline) and libxenlight's `cpuid=` parser with its headers, used by the
// tests as judges of the featureset ABI and of the libxl strings we write.
//
//   <cache>/xen-4.17/root/    the packages' files (usr/lib/xen-4.17/bin/xen-cpuid, usr/include, usr/lib/x86_64-linux-gnu)
//   <cache>/xen-4.17/packages.txt   the .deb files it was unpacked from
//
//   node devenv/toolchain/xen-tools.ts     fetch if needed, print the paths

import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { buildLogFile, cacheRoot } from "./cache.ts";
import { formatDuration, runLogged } from "./run-logged.ts";

export const XEN_TOOLS_VERSION = "4.17";

/** xen-cpuid and libxenlight with every library they load, the headers and libyajl for the judge harness. */
export const XEN_TOOLS_PACKAGES = [
  "xen-utils-4.17",
  "libxenmisc4.17",
  "libxen-dev",
  "libyajl-dev",
  "libyajl2",
  "libxencall1",
  "libxendevicemodel1",
  "libxenevtchn1",
  "libxenforeignmemory1",
  "libxengnttab1",
  "libxenhypfs1",
  "libxenstore4",
  "libxentoolcore1",
  "libxentoollog1",
] as const;

export interface XenTools {
  root: string;
  xenCpuid: string;
  includeDir: string;
  libDir: string;
  /** the environment a program linked against these libraries runs with */
  env: NodeJS.ProcessEnv;
}

export function xenToolsDir(root = cacheRoot()): string {
  return join(root, `xen-${XEN_TOOLS_VERSION}`);
}

function toolsAt(dir: string): XenTools {
  const root = join(dir, "root");
  const libDir = join(root, "usr", "lib", "x86_64-linux-gnu");
  return {
    root,
    xenCpuid: join(root, "usr", "lib", `xen-${XEN_TOOLS_VERSION}`, "bin", "xen-cpuid"),
    includeDir: join(root, "usr", "include"),
    libDir,
    env: { ...process.env, LD_LIBRARY_PATH: [libDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(":") },
  };
}

export const onPath = (command: string) => spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;

/** Why Xen's Debian packages cannot be had on this machine, or undefined when they can. */
export function xenToolsUnavailable(): string | undefined {
  if (process.platform !== "linux" || process.arch !== "x64") return `Xen ${XEN_TOOLS_VERSION}'s Debian packages are amd64 Linux binaries; this is ${process.platform}/${process.arch}`;
  const missing = ["apt-get", "dpkg-deb"].filter((c) => !onPath(c));
  if (missing.length > 0) return `fetching Xen ${XEN_TOOLS_VERSION}'s Debian packages needs ${missing.join(" and ")} (a Debian-based machine); not found on PATH`;
  return undefined;
}

export interface XenToolsOptions {
  cacheRoot?: string;
  log?: (line: string) => void;
}

/** The cached tools, fetched and unpacked first if missing. Safe to call from several processes at once. */
export async function ensureXenTools(options: XenToolsOptions = {}): Promise<XenTools> {
  const root = options.cacheRoot ?? cacheRoot();
  const log = options.log ?? ((line: string) => console.error(`[xen-tools] ${line}`));
  const dir = xenToolsDir(root);
  if (existsSync(join(dir, "packages.txt"))) return toolsAt(dir);
  const why = xenToolsUnavailable();
  if (why) throw new Error(why);

  const started = Date.now();
  mkdirSync(root, { recursive: true });
  const work = mkdtempSync(join(root, `xen-${XEN_TOOLS_VERSION}.partial-`));
  const step = (label: string, command: string, args: string[]) =>
    runLogged({ label: `xen ${XEN_TOOLS_VERSION}: ${label}`, command, args, cwd: work, env: process.env, logFile: buildLogFile(root, "xen-tools", XEN_TOOLS_VERSION), log });
  try {
    log(`downloading ${XEN_TOOLS_PACKAGES.length} Debian packages of Xen ${XEN_TOOLS_VERSION}`);
    try {
      await step("apt-get download", "apt-get", ["download", ...XEN_TOOLS_PACKAGES]);
    } catch {
      // A fresh machine may have no package lists yet.
      log("apt-get download failed; running apt-get update and trying again");
      await step("apt-get update", "apt-get", ["update"]);
      await step("apt-get download", "apt-get", ["download", ...XEN_TOOLS_PACKAGES]);
    }
    const debs = readdirSync(work).filter((f) => f.endsWith(".deb")).sort();
    for (const [i, deb] of debs.entries()) {
      log(`unpacking ${i + 1}/${debs.length}: ${deb}`);
      await step(`dpkg-deb -x ${deb}`, "dpkg-deb", ["-x", deb, "root"]);
      rmSync(join(work, deb));
    }
    const tools = toolsAt(work);
    if (!existsSync(tools.xenCpuid)) throw new Error(`the packages hold no ${tools.xenCpuid}`);
    writeFileSync(join(work, "packages.txt"), `${debs.join("\n")}\n`);
    try {
      renameSync(work, dir);
    } catch (err) {
      // another process finished first: keep its copy
      if (!existsSync(join(dir, "packages.txt"))) throw err;
    }
    log(`Xen ${XEN_TOOLS_VERSION} tools ready in ${dir} (${formatDuration(Date.now() - started)})`);
    return toolsAt(dir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const tools = await ensureXenTools();
  console.log(`xen-cpuid: ${tools.xenCpuid}\ninclude:   ${tools.includeDir}\nlib:       ${tools.libDir}`);
}
