// Which features each Xen release's cpufeatureset.h names, and so which
// feature names that release's libxl accepts in `cpuid=`. libxl takes its
// names from the header since 4.17.2 (7374a8d770, MSR_ARCH_CAPS names with
// 8df6cec384, both backported to the 4.17 branch); earlier libxl has a
// hand-kept table this project does not model, so it gets no names at all.
// Positions never moved after 4.17.0 (words are append-only), so a feature
// is known to a release exactly when its name is in that release's header.

import { FEATURES, featureByName, type Feature } from "./features.ts";

export type XenVersion = { major: number; minor: number; patch: number } | "master";

/** Features added to the header after 4.17.2, by the first release tag that has them. */
const ADDED: ReadonlyArray<readonly [XenVersion, string]> = [
  [{ major: 4, minor: 18, patch: 0 }, "auto-ibrs avx-ifma avx-ne-convert avx-vnni-int8 bld cpuid-user-dis ddp-ctrl pks wrmsrns"],
  [
    { major: 4, minor: 19, patch: 0 },
    "addr-msk-ext amd-fsrc amd-fsrs amd-prefetchi amx-tile arch-lbr avx-vnni-int16 epsf fsrsc fs-gs-ns hybrid no-nest-bp prefetchi " +
      "rfds-clear rfds-no sha512 sm3 sm4 uintr",
  ],
  [
    { major: 4, minor: 20, patch: 0 },
    "amx-bf16 amx-complex amx-fp16 amx-int8 cmpccxadd la57 pconfig sdbg sgx-keys sgx-lc srso-msr-fix srso-us-no tme waitpkg xfd",
  ],
  [
    { major: 4, minor: 21, patch: 0 },
    "arch-perf-mon cppc fred ign-umonitor its-no lam lass lkgs mcu-ext mon-umon-mitg msrlist nmi-src no-invd pb-opt-ctrl slsm " +
      "tsa-l1-no tsa-sq-no uc-lock-dis uiret-uif verw-clear",
  ],
  [{ major: 4, minor: 22, patch: 0 }, "avx512-bmm"],
  ["master", "movrs"],
];

const FIRST_NAMED = { major: 4, minor: 17, patch: 2 } as const;

function compare(a: XenVersion, b: XenVersion): number {
  if (a === "master" || b === "master") return a === b ? 0 : a === "master" ? 1 : -1;
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/**
 * "master", or "<major>.<minor>[.<patch>]" with anything after the numbers
 * ignored (xl info's xen_version, e.g. "4.17.5-pre" or "4.19.1-1.fc40").
 * A version without its patch level is taken as its .0 release.
 */
export function parseXenVersion(text: string): XenVersion {
  const t = text.trim();
  if (t === "master") return "master";
  const m = /^(\d{1,3})\.(\d{1,3})(?:\.(\d{1,4}))?(?![\d.])/.exec(t);
  if (!m) throw new RangeError(`Xen version "${text}" is not "master" or <major>.<minor>[.<patch>] (e.g. 4.17.5)`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) };
}

export function formatXenVersion(v: XenVersion): string {
  return v === "master" ? "master" : `${v.major}.${v.minor}.${v.patch}`;
}

const notYetIn = (version: XenVersion): Set<Feature> =>
  new Set(ADDED.filter(([since]) => compare(version, since) < 0).flatMap(([, names]) => names.split(" ").map((n) => featureByName(n)!)));

/** The features whose names the libxl of `version` accepts in cpuid= (none before 4.17.2). */
export function libxlNamedFeatures(version: XenVersion): ReadonlySet<Feature> {
  if (compare(version, FIRST_NAMED) < 0) return new Set();
  const missing = notYetIn(version);
  return new Set(FEATURES.filter((f) => !missing.has(f)));
}
