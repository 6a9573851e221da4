// A recorded Xen host for the xen probe and backend: a directory the stand-in
// `xen-cpuid` and `xl` scripts beside this file replay from. The system
// policies are a real `xen-cpuid -p` capture; domains and their policies are
// what a test says Xen would report.

import { appendFileSync, cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatXenCpuidPolicyBlock } from "../../../shared/formats/xen-cpuid-policy-text.ts";
import type { CpuPolicy } from "../../../shared/policy/cpu-policy.ts";
import { FIXTURES_DIR } from "../../../devenv/fixtures.ts";

export const STAND_IN_DIR = import.meta.dirname;
export const XEN_CPUID = join(STAND_IN_DIR, "xen-cpuid");
export const XL = join(STAND_IN_DIR, "xl");
export const XENSTORE_WATCH = join(STAND_IN_DIR, "xenstore-watch");

export interface StandInDomain {
  name: string;
  domid: number;
  state: "running" | "paused" | "shutdown";
}

const STATE_FLAGS = { running: "r-----", paused: "--p---", shutdown: "---s--" };

export interface XlInfo {
  xenVersion: string;
  commandLine: string;
  /** as xl prints Xen's cpu_khz: "MHz.kHz" (older xl: whole MHz); no line when unset */
  cpuMhz?: string;
}

export class StandInXenHost {
  readonly dir: string;

  constructor(xenCpuidFixture: string, info: XlInfo = { xenVersion: "4.19.1", commandLine: "placeholder dom0_mem=4G" }) {
    this.dir = mkdtempSync(join(tmpdir(), "xen-standin-"));
    cpSync(join(FIXTURES_DIR, "xen-cpuid", xenCpuidFixture), join(this.dir, "system.txt"));
    this.setInfo(info);
    this.setDomains([]);
    writeFileSync(join(this.dir, "xenstore-events"), "");
  }

  /** Environment for the agent (or a test) so the stand-ins find this host. */
  get env(): Record<string, string> {
    return { CPUID_STANDIN_DIR: this.dir };
  }

  setInfo(info: XlInfo): void {
    const [major, minor] = info.xenVersion.split(".");
    const lines = [
      ["host", "standin"],
      ["release", "6.1.0-xen"],
      ["nr_cpus", "12"],
      ["xen_major", major],
      ["xen_minor", minor],
      ["xen_extra", `.${info.xenVersion.split(".").slice(2).join(".")}`],
      ["xen_version", info.xenVersion],
      ["xen_caps", "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64"],
      ...(info.cpuMhz === undefined ? [] : [["cpu_mhz", info.cpuMhz]]),
      ["xen_commandline", info.commandLine],
      ["cc_compiler", "gcc (Debian 12.2.0-14) 12.2.0"],
    ];
    writeFileSync(join(this.dir, "xl-info.txt"), lines.map(([k, v]) => `${k.padEnd(23)}: ${v}`).join("\n") + "\n");
  }

  setDomains(domains: StandInDomain[]): void {
    const rows = [
      "Name                                        ID   Mem VCPUs\tState\tTime(s)",
      "Domain-0                                     0  4096     4     r-----     120.3",
      ...domains.map((d) => `${d.name.padEnd(40)} ${String(d.domid).padStart(5)}  1024     2     ${STATE_FLAGS[d.state]}       1.2`),
    ];
    writeFileSync(join(this.dir, "xl-list.txt"), rows.join("\n") + "\n");
  }

  /** xenstored firing a watch (e.g. @introduceDomain): every running stand-in xenstore-watch prints it. */
  fireXenstoreWatch(path: string): void {
    appendFileSync(join(this.dir, "xenstore-events"), `${path}\n`);
  }

  /** What `xen-cpuid -p <domid>` prints for this domain. */
  setDomainPolicy(domid: number, p: CpuPolicy): void {
    writeFileSync(join(this.dir, `domain-${domid}.txt`), formatXenCpuidPolicyBlock(`Domain ${domid}`, p));
  }
}
