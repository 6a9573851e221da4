// A clean Debian bookworm root (debootstrap --variant=minbase) in the project
// cache, never in the repository: the base the container image is assembled
// on when no image registry is reachable, and the "fresh dom0" the agent's
// package is installed into by the tests. Its packages come from the mirror
// this machine's own apt sources name (CPUID_FLEET_DEBIAN_MIRROR overrides).
// The "systemd" flavour adds systemd (apt-get inside a copy of the minbase
// root), for checking units offline with `systemd-analyze --root`.
//
//   <cache>/debian-bookworm-<flavour>/root/        the tree (apt lists, docs and man pages removed)
//   <cache>/debian-bookworm-<flavour>/mirror.txt   the mirror it came from; written last
//
//   node devenv/toolchain/debian-root.ts [systemd]     build it if needed, print its path

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { buildLogFile, cacheRoot } from "./cache.ts";
import { formatDuration, runLogged } from "./run-logged.ts";
import { onPath } from "./xen-tools.ts";

export const DEBIAN_SUITE = "bookworm";
export type DebianFlavour = "minbase" | "systemd";
const dirName = (flavour: DebianFlavour) => `debian-${DEBIAN_SUITE}-${flavour}`;
/** Trimmed after debootstrap: nothing that runs needs them. */
const TRIMMED = ["var/lib/apt/lists", "var/cache/apt", "usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale"];

export function debianRootDir(flavour: DebianFlavour, root = cacheRoot()): string {
  return join(root, dirName(flavour));
}

/** The first mirror of `suite` in apt sources (one-line or deb822), security and updates suites aside. */
export function mirrorFromAptSources(texts: readonly string[], suite = DEBIAN_SUITE): string | undefined {
  for (const text of texts) {
    for (const line of text.split("\n")) {
      const m = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s/.exec(line);
      if (m && m[2] === suite) return m[1];
    }
    for (const stanza of text.split(/\n\s*\n/)) {
      const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, "mi").exec(stanza)?.[1].trim().split(/\s+/) ?? [];
      if (field("Types").includes("deb") && field("Suites").includes(suite)) return field("URIs")[0];
    }
  }
  return undefined;
}

function hostMirror(): string {
  if (process.env.CPUID_FLEET_DEBIAN_MIRROR) return process.env.CPUID_FLEET_DEBIAN_MIRROR;
  const dir = "/etc/apt/sources.list.d";
  const files = ["/etc/apt/sources.list", ...(existsSync(dir) ? readdirSync(dir).filter((f) => /\.(list|sources)$/.test(f)).map((f) => join(dir, f)) : [])];
  const mirror = mirrorFromAptSources(files.filter((f) => existsSync(f)).map((f) => readFileSync(f, "utf8")));
  if (!mirror) throw new Error(`no apt source of Debian ${DEBIAN_SUITE} on this machine; set CPUID_FLEET_DEBIAN_MIRROR to a Debian mirror`);
  return mirror;
}

/** Why the root cannot be built here, or undefined when it can. */
export function debianRootUnavailable(): string | undefined {
  if (process.platform !== "linux" || process.arch !== "x64") return `a Debian amd64 root needs amd64 Linux; this is ${process.platform}/${process.arch}`;
  if (process.getuid?.() !== 0) return "debootstrap needs root";
  if (!onPath("debootstrap")) return "debootstrap is not installed (apt-get install debootstrap)";
  return undefined;
}

export interface DebianRootOptions {
  flavour?: DebianFlavour;
  cacheRoot?: string;
  log?: (line: string) => void;
}

/** The cached root, built first if missing. Safe to call from several processes at once (the last to finish is dropped). */
export async function ensureDebianRoot(options: DebianRootOptions = {}): Promise<string> {
  const flavour = options.flavour ?? "minbase";
  const root = options.cacheRoot ?? cacheRoot();
  const log = options.log ?? ((line: string) => console.error(`[debian-root] ${line}`));
  const dir = debianRootDir(flavour, root);
  if (existsSync(join(dir, "mirror.txt"))) return join(dir, "root");
  const why = debianRootUnavailable();
  if (why) throw new Error(why);

  const minbase = flavour === "systemd" ? await ensureDebianRoot({ ...options, flavour: "minbase" }) : undefined;
  const started = Date.now();
  const mirror = minbase ? readFileSync(join(dirname(minbase), "mirror.txt"), "utf8").trim() : hostMirror();
  mkdirSync(root, { recursive: true });
  const work = mkdtempSync(join(root, `${dirName(flavour)}.partial-`));
  const tree = join(work, "root");
  const logFile = buildLogFile(root, dirName(flavour), DEBIAN_SUITE);
  const step = (label: string, command: string, args: string[]) =>
    runLogged({ label, command, args, cwd: work, env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" }, logFile, log });
  try {
    if (minbase) {
      log(`adding systemd to a copy of the ${DEBIAN_SUITE} minbase root (log: ${logFile})`);
      await step("copy minbase root", "cp", ["-a", minbase, tree]);
      await step("apt-get update", "chroot", [tree, "apt-get", "update"]);
      await step("apt-get install systemd", "chroot", [tree, "apt-get", "install", "-y", "--no-install-recommends", "systemd"]);
    } else {
      log(`debootstrap --variant=minbase ${DEBIAN_SUITE} from ${mirror} (a few minutes; log: ${logFile})`);
      await step(`debootstrap ${DEBIAN_SUITE}`, "debootstrap", ["--variant=minbase", DEBIAN_SUITE, tree, mirror]);
    }
    for (const path of TRIMMED) {
      rmSync(join(tree, path), { recursive: true, force: true });
      mkdirSync(join(tree, path), { recursive: true });
    }
    writeFileSync(join(work, "mirror.txt"), `${mirror}\n`);
    try {
      renameSync(work, dir);
    } catch (err) {
      if (!existsSync(join(dir, "mirror.txt"))) throw err;
      rmSync(work, { recursive: true, force: true });
    }
    log(`Debian ${DEBIAN_SUITE} ${flavour} root ready in ${dir} (${formatDuration(Date.now() - started)})`);
    return join(dir, "root");
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
}

if (import.meta.main) console.log(await ensureDebianRoot({ flavour: process.argv[2] === "systemd" ? "systemd" : "minbase" }));
