// Xen's own feature view from a raw policy (identify_cpu, the vendor init
// code, xstate_init, check_deadline_errata, psr_presmp_init), one rule per row:
// a synthetic CPU, what it enumerates, and which features Xen then has or lacks.

import { describe, expect, it } from "vitest";
import { cpuModel } from "../../../shared/derive/cpu-model.ts";
import { xenCapabilities } from "../../../shared/derive/host-capabilities.ts";
import { releaseModel } from "../../../shared/derive/release.ts";
import { featureNames } from "../../../shared/featureset/featureset.ts";
import { parseXenCpuidCmdline } from "../../../shared/formats/xen-cmdline.ts";
import { syntheticRaw, type SyntheticCpu } from "./support.ts";

interface Row {
  rule: string;
  cpu: SyntheticCpu;
  cmdline?: string;
  tsx?: boolean;
  microcode?: number;
  fastStrings?: boolean;
  release?: string;
  on?: string;
  off?: string;
  rdrandForced?: boolean;
  rtmDisabled?: boolean;
}

const intel = (model: number, features: string, more: Partial<SyntheticCpu> = {}): SyntheticCpu => ({
  vendor: "intel", family: 6, model, features, ...more,
});
const amd = (family: number, model: number, features: string, more: Partial<SyntheticCpu> = {}): SyntheticCpu => ({
  vendor: "amd", family, model, features, ...more,
});

const ROWS: Row[] = [
  // `cpuid=`
  { rule: "cpuid=rdrand on RDRAND hardware forces it", cpu: intel(0x3a, "rdrand"), cmdline: "rdrand", on: "rdrand", rdrandForced: true },
  { rule: "cpuid=rdrand without the hardware does nothing", cpu: intel(0x3a, ""), cmdline: "rdrand", off: "rdrand", rdrandForced: false },
  { rule: "a positive cpuid= item other than rdrand forces nothing", cpu: intel(0x3a, "rdrand"), cmdline: "avx", off: "avx", rdrandForced: false },
  { rule: "cpuid=no-avx clears AVX and its dependents", cpu: intel(0x3a, "xsave avx avx2 fma"), cmdline: "no-avx", on: "xsave", off: "avx avx2 fma" },
  // TSX
  { rule: "TSX_CTRL: HLE/RTM back in Xen's view, RTM disabled by default", cpu: intel(0x55, "tsx-ctrl"), on: "hle rtm", rtmDisabled: false },
  { rule: "TSX_CTRL with TAA: Xen disables TSX", cpu: intel(0x55, "tsx-ctrl mds-no"), on: "hle rtm", rtmDisabled: true },
  { rule: "RTM_ALWAYS_ABORT without TSX_FORCE_ABORT stays", cpu: intel(0x9e, "rtm-always-abort"), on: "rtm-always-abort", off: "hle rtm" },
  { rule: "firmware bug: RTM_ALWAYS_ABORT and TSX_FORCE_ABORT without RTM", cpu: intel(0x9e, "rtm-always-abort tsx-force-abort"), off: "rtm-always-abort tsx-force-abort hle rtm" },
  { rule: "TSX_FORCE_ABORT with RTM", cpu: intel(0x9e, "tsx-force-abort rtm"), on: "tsx-force-abort rtm hle" },
  // early_cpu_init: CLZERO needs a power-of-two cache line
  { rule: "64-byte line keeps CLZERO", cpu: amd(0x17, 0x31, "clflush clzero"), on: "clzero" },
  { rule: "no line size: CLZERO off", cpu: amd(0x17, 0x31, "clflush clzero", { clflushLines: 0 }), off: "clzero" },
  { rule: "48-byte line: CLZERO off", cpu: amd(0x17, 0x31, "clflush clzero", { clflushLines: 6 }), off: "clzero" },
  { rule: "8-byte line keeps CLZERO", cpu: amd(0x17, 0x31, "clflush clzero", { clflushLines: 1 }), on: "clzero" },
  { rule: "line sizes above 128 count as 128", cpu: amd(0x17, 0x31, "clflush clzero", { clflushLines: 20 }), on: "clzero" },
  { rule: "without CLFLUSH the line size is not looked at", cpu: amd(0x17, 0x31, "clzero", { clflushLines: 0 }), on: "clzero" },
  // Intel fix-ups
  { rule: "FAST_STRING clear drops ERMS", cpu: intel(0x3a, "erms"), fastStrings: false, off: "erms" },
  { rule: "FAST_STRING set keeps ERMS", cpu: intel(0x3a, "erms"), fastStrings: true, on: "erms" },
  { rule: "4.17 ignores FAST_STRING", cpu: intel(0x3a, "erms"), fastStrings: false, release: "4.17", on: "erms" },
  { rule: "Skylake-X: CLWB off", cpu: intel(0x55, "clwb"), off: "clwb" },
  { rule: "other Intel keeps CLWB", cpu: intel(0x6a, "clwb"), on: "clwb" },
  { rule: "Intel keeps SEP", cpu: intel(0x3a, "sep"), on: "sep" },
  // AMD fix-ups
  { rule: "K8 before rev. F: LAHF_LM off (erratum #110)", cpu: amd(0xf, 0x13, "lahf-lm"), off: "lahf-lm" },
  { rule: "K8 rev. F keeps LAHF_LM", cpu: amd(0xf, 0x14, "lahf-lm"), on: "lahf-lm" },
  { rule: "family 10h keeps LAHF_LM, loses MONITOR", cpu: amd(0x10, 0x02, "lahf-lm monitor"), on: "lahf-lm", off: "monitor" },
  { rule: "family 11h keeps MONITOR", cpu: amd(0x11, 0x03, "monitor"), on: "monitor" },
  { rule: "family 15h: RDRAND off", cpu: amd(0x15, 0x02, "rdrand"), off: "rdrand", rdrandForced: true },
  { rule: "family 16h: RDRAND off", cpu: amd(0x16, 0x30, "rdrand"), off: "rdrand" },
  { rule: "family 15h with cpuid=rdrand keeps it", cpu: amd(0x15, 0x02, "rdrand"), cmdline: "rdrand", on: "rdrand" },
  { rule: "family 17h keeps RDRAND", cpu: amd(0x17, 0x31, "rdrand"), on: "rdrand", rdrandForced: false },
  { rule: "family 19h: BTC_NO", cpu: amd(0x19, 0x01, ""), on: "btc-no" },
  { rule: "family 19h virtualised: no BTC_NO", cpu: amd(0x19, 0x01, "hypervisor"), off: "btc-no" },
  { rule: "family 17h: no BTC_NO", cpu: amd(0x17, 0x31, ""), off: "btc-no" },
  { rule: "Zen2 with AMD_STIBP: NSCB found", cpu: amd(0x17, 0x31, "amd-stibp"), on: "nscb" },
  { rule: "Zen1 without AMD_STIBP: no NSCB", cpu: amd(0x17, 0x01, ""), off: "nscb" },
  { rule: "Zen2 virtualised: no probe", cpu: amd(0x17, 0x31, "amd-stibp hypervisor"), off: "nscb" },
  { rule: "family 19h: no NSCB probe", cpu: amd(0x19, 0x01, "amd-stibp"), off: "nscb" },
  { rule: "Piledriver 15h/10h: TOPOEXT on", cpu: amd(0x15, 0x10, ""), on: "topoext" },
  { rule: "Piledriver 15h/1Fh: TOPOEXT on", cpu: amd(0x15, 0x1f, ""), on: "topoext" },
  { rule: "Bulldozer 15h/0Fh: TOPOEXT untouched", cpu: amd(0x15, 0x0f, ""), off: "topoext" },
  { rule: "Steamroller 15h/20h: TOPOEXT untouched", cpu: amd(0x15, 0x20, ""), off: "topoext" },
  { rule: "family 16h/10h: TOPOEXT untouched", cpu: amd(0x16, 0x10, ""), off: "topoext" },
  { rule: "AMD: SEP off, LFENCE dispatch serialising", cpu: amd(0x17, 0x31, "sep"), on: "lfence-dispatch", off: "sep" },
  { rule: "AMD virtualised: LFENCE as enumerated", cpu: amd(0x17, 0x31, "hypervisor"), off: "lfence-dispatch" },
  { rule: "AMD virtualised with LFENCE_DISPATCH", cpu: amd(0x17, 0x31, "hypervisor lfence-dispatch"), on: "lfence-dispatch" },
  { rule: "Hygon: SEP off, LFENCE dispatch serialising", cpu: { vendor: "hygon", family: 0x18, model: 0, features: "sep" }, on: "lfence-dispatch", off: "sep" },
  { rule: "Intel: no LFENCE_DISPATCH synthesis", cpu: intel(0x3a, ""), off: "lfence-dispatch" },
  { rule: "Centaur: no AMD or Hygon fix-ups", cpu: { vendor: "centaur", family: 7, model: 0x3b, features: "sep" }, on: "sep", off: "lfence-dispatch" },
  // xstate_init and psr_presmp_init
  { rule: "no leaf 0xd: XSAVE and dependents off", cpu: intel(0x3a, "xsave avx", { maxLeaf: 0xc }), off: "xsave avx" },
  { rule: "leaf 0xd present: XSAVE stays", cpu: intel(0x3a, "xsave avx", { maxLeaf: 0xd }), on: "xsave avx" },
  { rule: "no leaf 0x10: PQE off", cpu: intel(0x3f, "pqe", { maxLeaf: 0xf }), off: "pqe" },
  { rule: "leaf 0x10 present: PQE stays", cpu: intel(0x3f, "pqe", { maxLeaf: 0x10 }), on: "pqe" },
  // check_deadline_errata
  { rule: "Haswell below 0x22: TSC_DEADLINE off", cpu: intel(0x3c, "tsc-deadline"), microcode: 0x21, off: "tsc-deadline" },
  { rule: "Haswell at 0x22 keeps it", cpu: intel(0x3c, "tsc-deadline"), microcode: 0x22, on: "tsc-deadline" },
  { rule: "microcode unknown keeps it", cpu: intel(0x3c, "tsc-deadline"), on: "tsc-deadline" },
  { rule: "virtualised keeps it", cpu: intel(0x3c, "tsc-deadline hypervisor"), microcode: 0x1, on: "tsc-deadline" },
  { rule: "Haswell-X stepping 2 below 0x3a", cpu: intel(0x3f, "tsc-deadline", { stepping: 2 }), microcode: 0x39, off: "tsc-deadline" },
  { rule: "Haswell-X stepping 4 at 0x39 (needs 0x0f)", cpu: intel(0x3f, "tsc-deadline", { stepping: 4 }), microcode: 0x39, on: "tsc-deadline" },
  { rule: "Haswell-X stepping 4 below 0x0f", cpu: intel(0x3f, "tsc-deadline", { stepping: 4 }), microcode: 0x0e, off: "tsc-deadline" },
  { rule: "Haswell-X stepping 3: no erratum", cpu: intel(0x3f, "tsc-deadline", { stepping: 3 }), microcode: 0x1, on: "tsc-deadline" },
  { rule: "Ivy Bridge: no erratum", cpu: intel(0x3a, "tsc-deadline"), microcode: 0x1, on: "tsc-deadline" },
  { rule: "AMD with a Haswell model number: no erratum", cpu: amd(0x17, 0x3c, "tsc-deadline"), microcode: 0x1, on: "tsc-deadline" },
];

describe("xenCapabilities", () => {
  it.each(ROWS)("$rule", (row) => {
    const raw = syntheticRaw(row.cpu);
    const r = xenCapabilities({
      raw,
      cpu: cpuModel(raw),
      cmdline: row.cmdline ? parseXenCpuidCmdline(row.cmdline) : [],
      tsx: row.tsx,
      smt: true,
      microcode: row.microcode,
      fastStrings: row.fastStrings ?? true,
      release: releaseModel(row.release),
    });
    const names = new Set(featureNames(r.caps));
    for (const f of row.on?.split(" ") ?? []) expect(names.has(f), `${f} on`).toBe(true);
    for (const f of row.off?.split(" ") ?? []) expect(names.has(f), `${f} off`).toBe(false);
    if (row.rdrandForced !== undefined) expect(r.rdrandForced).toBe(row.rdrandForced);
    if (row.rtmDisabled !== undefined) expect(r.rtmDisabled).toBe(row.rtmDisabled);
  });
});
