// libvirt as the levelling peer of the benchmark and its agreement test:
// Debian's libvirt-clients (`virsh`, with its test driver: no daemon) and the
// CPU map the same package set installs. Absent where libvirt-clients is not
// installed (`apt-get install libvirt-clients`); callers say so.

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadLibvirtCpuMap, type LibvirtCpuMap } from "../shared/libvirt/cpu-map.ts";
import { onPath } from "./toolchain/xen-tools.ts";

export const LIBVIRT_CPU_MAP_DIR = "/usr/share/libvirt/cpu_map";

/** Why libvirt cannot be used here, or undefined when it can. */
export function libvirtUnavailable(): string | undefined {
  if (!onPath("virsh")) return "virsh not found on PATH (Debian: apt-get install libvirt-clients)";
  if (!existsSync(join(LIBVIRT_CPU_MAP_DIR, "index.xml"))) return `libvirt's CPU map is not installed (${LIBVIRT_CPU_MAP_DIR}/index.xml missing)`;
  return undefined;
}

export function installedLibvirtCpuMap(): LibvirtCpuMap {
  const read = (file: string) => readFileSync(join(LIBVIRT_CPU_MAP_DIR, file), "utf8");
  return loadLibvirtCpuMap(read("index.xml"), read);
}

export const virshVersion = () => execFileSync("virsh", ["--version"], { encoding: "utf8" }).trim();

/** argv of `virsh cpu-baseline` over a file of <cpu> elements, on the test driver. */
export const virshBaselineArgs = (file: string, expandFeatures: boolean) => ["-c", "test:///default", "cpu-baseline", ...(expandFeatures ? ["--features"] : []), file];

/** libvirt's baseline of the CPUs in `file`, as virsh prints it. */
export const virshBaseline = (file: string, expandFeatures = true) =>
  execFileSync("virsh", virshBaselineArgs(file, expandFeatures), { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
