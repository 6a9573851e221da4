import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FEATURES } from "../../../shared/featureset/features.ts";
import { FormatError } from "../../../shared/formats/format-error.ts";
import { parseXenCpuidCmdline } from "../../../shared/formats/xen-cmdline.ts";

const parsed = (v: string) => parseXenCpuidCmdline(v).map((i) => [i.name, i.enable]);

function columnOf(v: string): number {
  try {
    parseXenCpuidCmdline(v);
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return (e as FormatError).column;
  }
  throw new Error("expected a FormatError");
}

describe("Xen cpuid= command line", () => {
  it("reads name, no-name and name=<bool> with every boolean word Xen accepts", () => {
    expect(parsed("avx512f,no-rdrand,rdseed=0,sse3=on,ssse3=yes,fma=true,avx=enable,avx2=disable,xop=off,bmi1=no,bmi2=1,adx=false"))
      .toEqual([
        ["avx512f", true], ["rdrand", false], ["rdseed", false], ["sse3", true], ["ssse3", true], ["fma", true],
        ["avx", true], ["avx2", false], ["xop", false], ["bmi1", false], ["bmi2", true], ["adx", false],
      ]);
  });

  it("strips no- before the lookup, as Xen does for names that start with no-", () => {
    expect(parsed("no-no-lmsl")).toEqual([["no-lmsl", false]]);
    expect(columnOf("no-lmsl")).toBe(4);
  });

  it("names the column of what is wrong", () => {
    expect(columnOf("avx,lahf_lm")).toBe(5); // Xen names use "-"
    expect(columnOf("avx,AVX2")).toBe(5); // and are case-sensitive
    expect(columnOf("avx,no-avx2=1")).toBe(5);
    expect(columnOf("avx2=maybe")).toBe(6);
    expect(columnOf("avx,,sse3")).toBe(5);
  });

  it.each([
    ["avx,,sse3", 5, "empty item (expected name, no-name or name=<bool>)"],
    ["avx,=1", 5, 'unknown feature name "" (names are lowercase with "-", e.g. "lahf-lm")'],
    ["no-lahf_lm", 4, 'unknown feature name "lahf_lm" (names are lowercase with "-", e.g. "lahf-lm")'],
    ["avx,no-avx2=1", 5, '"no-avx2=…" is invalid: use either no-avx2 or avx2=<bool>'],
    ["sse3,avx2=maybe", 11, '"maybe" is not a boolean (1/0, on/off, yes/no, true/false, enable/disable)'],
  ])("%s: the message names the item's fault, after the default source name and the column", (value, column, message) => {
    expect(() => parseXenCpuidCmdline(value)).toThrow(`cpuid=:1:${column}: ${message}`);
  });

  it("accepts every feature name in every form (names starting no- only negated, as in Xen)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...FEATURES), fc.constantFrom("", "no-", "=1", "=off"), (f, form) => {
        const item = form.startsWith("=") ? `${f.name}${form}` : `${form}${f.name}`;
        if (f.name.startsWith("no-") && form !== "no-") {
          expect(() => parseXenCpuidCmdline(item)).toThrow(FormatError);
          return;
        }
        const [r] = parseXenCpuidCmdline(item);
        expect(r.feature).toBe(f);
        expect(r.enable).toBe(form === "" || form === "=1");
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it("never throws anything but a FormatError", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        try {
          parseXenCpuidCmdline(s);
        } catch (e) {
          expect(e).toBeInstanceOf(FormatError);
        }
      }),
      { seed: 7, numRuns: 500 },
    );
  });
});
