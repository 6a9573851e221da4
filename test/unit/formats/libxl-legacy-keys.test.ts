// libxl's legacy cpuid= key table (libxl_cpuid.c cpuid_flags[], reference
// §8): 33 feature keys and 12 value keys, checked before the generated
// names. Each feature key must land on the Xen feature at its CPUID position
// (xen-features.tsv), or on no feature where Xen has none; each value key
// takes exactly what its field holds.

import { describe, expect, it } from "vitest";
import { parseLibxlCpuid, type LibxlCpuidItem } from "../../../shared/formats/libxl-cpuid.ts";
import { readShared } from "../../../devenv/fixtures.ts";
import { expectFormatError } from "./expect-format-error.ts";

function item(text: string): LibxlCpuidItem {
  const r = parseLibxlCpuid(text);
  if (r.form !== "libxl" || r.items.length !== 1) throw new Error(`expected one libxl item from ${text}`);
  return r.items[0];
}

/** Feature name per xen-features.tsv row name (e.g. SSE4_1 → sse4-1 is how Xen's generated names read). */
const TSV_NAMES = new Set(
  readShared("reference", "xen-features.tsv")
    .split("\n")
    .slice(1)
    .filter(Boolean)
    .map((l) => l.split("\t")[0]),
);
const xenName = (tsv: string) => tsv.toLowerCase().replaceAll("_", "-");

/** Legacy feature key → the xen-features.tsv row at its position; null where Xen defines no feature there. */
const FEATURE_KEYS: Record<string, string | null> = {
  est: "EIST",
  cntxid: null,
  cmpxchg16: "CX16",
  sse4_1: "SSE4_1",
  "sse4.1": "SSE4_1",
  sse4_2: "SSE4_2",
  "sse4.2": "SSE4_2",
  aes: "AESNI",
  cmpxchg8: "CX8",
  sysenter: "SEP",
  psn: null,
  clfsh: "CLFLUSH",
  tm: "TM1",
  ia64: null,
  arat: null,
  tsc_adjust: "TSC_ADJUST",
  cmt: "PQM",
  lahfsahf: "LAHF_LM",
  cmplegacy: "CMP_LEGACY",
  altmovcr8: "CR8_LEGACY",
  nodeid: "NODEID_MSR",
  perfctr_core: null,
  perfctr_nb: null,
  invtsc: "ITSC",
  ppin: "AMD_PPIN",
  svm_npt: null,
  svm_lbrv: null,
  svm_nrips: null,
  svm_tscrate: null,
  svm_vmcbclean: null,
  svm_decode: null,
  svm_pausefilt: null,
  "lfence+": "LFENCE_DISPATCH",
};

/** Value key → the largest number its field holds (family runs on into the extended family: 15 + 255). */
const VALUE_KEYS: Record<string, number> = {
  maxleaf: 0xffffffff,
  stepping: 0xf,
  model: 0xff,
  family: 0xf + 0xff,
  brandid: 0xff,
  clflush: 0xff,
  proccount: 0xff,
  localapicid: 0xff,
  procpkg: 0x3f,
  nc: 0xff,
  apicidsize: 0xf,
  maxhvleaf: 0xff,
};

describe("libxl's legacy key table", () => {
  it("has the 45 keys of libxl 4.18+", () => {
    expect(Object.keys(FEATURE_KEYS).length + Object.keys(VALUE_KEYS).length).toBe(45);
  });

  it.each(Object.entries(FEATURE_KEYS))("%s is the feature key of %s", (key, tsv) => {
    if (tsv !== null) expect(TSV_NAMES).toContain(tsv);
    const i = item(`host,${key}=1`);
    expect(i).toMatchObject({ key, kind: "feature", value: "1", column: 6 });
    expect(i.feature?.name ?? null).toBe(tsv === null ? null : xenName(tsv));
  });

  it.each(Object.entries(VALUE_KEYS))("%s is a value key taking 0 to %i", (key, max) => {
    expect(item(`host,${key}=0`)).toEqual({ key, kind: "value", value: 0, column: 6 });
    expect(item(`host,${key}=${max}`)).toMatchObject({ kind: "value", value: max });
    expect(item(`host,${key}=k`)).toMatchObject({ kind: "value", value: "k" });
    const tooBig = expectFormatError(() => parseLibxlCpuid(`host,${key}=${max + 1}`));
    expect(tooBig.message).toContain(`at most ${max}`);
  });

  it("legacy keys win over generated names of the same spelling", () => {
    // "clflush" is the line-size value key, the CLFLUSH feature is "clfsh"
    expect(item("host,clflush=1")).toMatchObject({ kind: "value", value: 1 });
    expect(item("host,clfsh=1").feature?.name).toBe("clflush");
  });
});
