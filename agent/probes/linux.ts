// Raw CPUID of one logical CPU through Linux's cpuid driver: a 16-byte pread
// of /dev/cpu/<n>/cpuid at offset leaf | (subleaf << 32) returns eax, ebx,
// ecx, edx (little-endian). MSRs come from /dev/cpu/<n>/msr when the msr
// driver is loaded (8-byte pread at offset = index); otherwise none.

import { closeSync, openSync, readSync } from "node:fs";
import { NO_SUBLEAF, type Regs } from "../../shared/policy/cpu-policy.ts";
import { deriveHostPolicies } from "../../shared/derive/derive.ts";
import type { ReleaseName } from "../../shared/derive/release.ts";
import { rawPolicyFromCpuid } from "../../shared/derive/raw.ts";
import { tscKhzFromCpuid } from "../../shared/derive/tsc-frequency.ts";
import { policyVendor } from "../../shared/policy/vendor.ts";
import { MSR_ARCH_CAPABILITIES, MSR_PLATFORM_INFO } from "../../shared/featureset/words.ts";
import { microcodeRevision } from "./cpuinfo.ts";
import type { Probe, ProbeResult } from "./probe.ts";

export function readCpuid(fd: number, leaf: number, subleaf: number): Regs {
  const buf = Buffer.alloc(16);
  // Leaves that take no subleaf are read with ECX = 0, as Xen's cpuid() does.
  const ecx = subleaf === NO_SUBLEAF ? 0 : subleaf;
  const n = readSync(fd, buf, 0, 16, BigInt(leaf >>> 0) | (BigInt(ecx >>> 0) << 32n));
  if (n !== 16) throw new Error(`short read of CPUID leaf 0x${leaf.toString(16)}: ${n} bytes`);
  return { eax: buf.readUInt32LE(0), ebx: buf.readUInt32LE(4), ecx: buf.readUInt32LE(8), edx: buf.readUInt32LE(12) };
}

function readMsrs(cpu: number): Map<number, bigint> {
  const msrs = new Map<number, bigint>();
  let fd: number;
  try {
    fd = openSync(`/dev/cpu/${cpu}/msr`, "r");
  } catch {
    return msrs;
  }
  try {
    for (const index of [MSR_PLATFORM_INFO, MSR_ARCH_CAPABILITIES]) {
      const buf = Buffer.alloc(8);
      try {
        if (readSync(fd, buf, 0, 8, index) === 8) msrs.set(index, buf.readBigUInt64LE(0));
      } catch {
        // EIO: the MSR does not exist on this CPU.
      }
    }
  } finally {
    closeSync(fd);
  }
  return msrs;
}

export class LinuxProbe implements Probe {
  readonly #cpu: number;
  readonly #cpuinfoPath: string;
  readonly #release: ReleaseName;

  constructor(cpu: number, cpuinfoPath: string, release: ReleaseName) {
    this.#cpu = cpu;
    this.#cpuinfoPath = cpuinfoPath;
    this.#release = release;
  }

  async run(): Promise<ProbeResult> {
    const device = `/dev/cpu/${this.#cpu}/cpuid`;
    let fd: number;
    try {
      fd = openSync(device, "r");
    } catch (e) {
      throw new Error(`cannot open ${device} (${(e as NodeJS.ErrnoException).code}): load the cpuid module and run as root`, { cause: e });
    }
    try {
      const query = (leaf: number, subleaf: number) => readCpuid(fd, leaf, subleaf);
      const raw = rawPolicyFromCpuid(query, readMsrs(this.#cpu));
      const tscKhz = tscKhzFromCpuid(query);
      const microcode = await microcodeRevision(this.#cpuinfoPath, this.#cpu);
      const revision = microcode === undefined ? undefined : Number.parseInt(microcode, 16);
      const policies = deriveHostPolicies(raw, {
        release: this.#release,
        ...(Number.isFinite(revision) && policyVendor(raw) !== "unknown" ? { microcodeRevision: revision } : {}),
      });
      return { policies, facts: { probe: "linux", source: device, microcode }, ...(tscKhz === undefined ? {} : { tscKhz }) };
    } finally {
      closeSync(fd);
    }
  }
}
