// A recorded host for simulation: a CPUID dump (AIDA64/InstLatX64 format) or
// saved `xen-cpuid -p` output, re-read on every probe so edits are noticed.
// Only a dump has leaves 0x15/0x16, so only a dump can give the TSC frequency.

import { readFile } from "node:fs/promises";
import { bootCpu, cpuidQuery, parseCpuidDump } from "../../shared/formats/cpuid-dump.ts";
import { tscKhzFromCpuid } from "../../shared/derive/tsc-frequency.ts";
import { deriveFromCpuidDump } from "../../shared/derive/from-dump.ts";
import { detectPolicyInput } from "../../shared/formats/detect.ts";
import { parseXenCpuidPolicy } from "../../shared/formats/xen-cpuid-policy.ts";
import { DEFAULT_RELEASE, type ReleaseName } from "../../shared/derive/release.ts";
import { policiesFromXen, type Probe, type ProbeResult } from "./probe.ts";

export class FileProbe implements Probe {
  readonly #path: string;
  readonly #release: ReleaseName;

  constructor(path: string, release: ReleaseName = DEFAULT_RELEASE) {
    this.#path = path;
    this.#release = release;
  }

  async run(): Promise<ProbeResult> {
    const text = await readFile(this.#path, "utf8");
    const facts = { probe: "file" as const, source: this.#path };
    switch (detectPolicyInput(text, this.#path)) {
      case "cpuid-dump": {
        const dump = parseCpuidDump(text, this.#path);
        const tscKhz = tscKhzFromCpuid(cpuidQuery(bootCpu(dump)));
        return { policies: deriveFromCpuidDump(dump, { release: this.#release }), facts, ...(tscKhz === undefined ? {} : { tscKhz }) };
      }
      case "xen-cpuid-policy":
        return { policies: policiesFromXen(parseXenCpuidPolicy(text, this.#path), this.#path, this.#release), facts };
      case "xen-cpuid-featuresets":
        throw new Error(`${this.#path}: xen-cpuid featureset output has no CPUID leaves; give \`xen-cpuid -p\` output or a CPUID dump`);
    }
  }
}
