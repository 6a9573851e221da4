// The two cpuid= forms in detail: numbers as libxl's strtoul(…, 0) reads
// them, the quoting xl.cfg allows, every malformed xend list item at its
// column, and the xend list and libxl string the writers give.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FEATURES, featureByName, type Feature } from "../../../shared/featureset/features.ts";
import { emptyFeatureset, setFeature } from "../../../shared/featureset/featureset.ts";
import { parseXenVersion } from "../../../shared/featureset/releases.ts";
import { cpuidSettingFromPolicies, formatXendCpuid, parseLibxlCpuid } from "../../../shared/formats/libxl-cpuid.ts";
import { expectFormatError } from "./expect-format-error.ts";

const feature = (name: string) => featureByName(name)!;
const X32 = "x".repeat(32);
const message = (text: string) => expectFormatError(() => parseLibxlCpuid(text, "xl.cfg")).message;

describe("libxl cpuid= numbers and quoting", () => {
  it.each([
    ["0", 0],
    ["00", 0],
    ["017", 15],
    ["0x1F", 31],
    ["0XfF", 255],
    ["255", 255],
    ["10", 10],
  ])("model=%s is %i", (raw, value) => {
    expect(parseLibxlCpuid(`host,model=${raw}`)).toEqual({ form: "libxl", items: [{ key: "model", kind: "value", value, column: 6 }] });
  });

  it.each(["08", "0x", "0xg", "0x1g", "1e3", "-1", "+1", "1 2", "a1", "9a", "10x1", ""])("model=%s is not a number", (raw) => {
    expect(message(`host,model=${raw}`)).toBe(`xl.cfg:1:12: illegal CPUID value ${JSON.stringify(raw)} for "model": expected a number (decimal, 0x hex or 0 octal) or x, k, s`);
  });

  it("feature values: x, k and s; numbers by their lowest bit; anything else refused", () => {
    const r = parseLibxlCpuid("host,avx=s,avx2=0x3,fma=010");
    expect(r.form === "libxl" && r.items.map((i) => i.value)).toEqual(["s", "1", "0"]);
    expect(message("host,avx=on")).toBe('xl.cfg:1:10: illegal CPUID value "on" for "avx": expected 1, 0, x, k or s');
    expect(message("host,rfds-no=01")).toBe('xl.cfg:1:14: illegal CPUID value "01" for "rfds-no": MSR_ARCH_CAPS features take one of 0 1 x k s');
    expect(message("host,model=256")).toBe('xl.cfg:1:12: illegal CPUID value "256" for "model": at most 255');
  });

  it.each([
    ["'host,avx=0'", ["avx"]],
    ['  "host,avx=0,sse3=1"\n', ["avx", "sse3"]],
    ["\thost,avx=0 ", ["avx"]],
  ])("%j is read", (text, keys) => {
    const r = parseLibxlCpuid(text);
    expect(r.form === "libxl" && r.items.map((i) => i.key)).toEqual(keys);
  });

  it.each([
    ['""', 2, '""'],
    ['"', 1, '"\\""'],
    ["\"host,avx=0'", 1, '"\\"host"'],
    ["", 1, '""'],
    ["  ", 3, '""'],
    ["`host,avx=0`", 1, '"`host"'],
    [' "', 2, '"\\""'],
  ])("%j does not start with host", (text, column, got) => {
    expect(message(text)).toBe(`xl.cfg:1:${column}: a libxl cpuid string starts with "host", got ${got}`);
  });

  it("columns count from the start of the text, leading blanks included", () => {
    expect(message("  host,avx9=1 ")).toBe('xl.cfg:1:8: unknown CPUID flag name "avx9"');
    expect(message(" 'host,,avx=1,avx=q'")).toBe('xl.cfg:1:19: illegal CPUID value "q" for "avx": expected 1, 0, x, k or s');
  });

  it("lines count the newlines before the offending character: a leading one, not one after it", () => {
    expect(message("\nhost,avx9=1")).toBe('xl.cfg:2:6: unknown CPUID flag name "avx9"');
    expect(message(`["1:efx=${X32}"\n]`)).toBe('xl.cfg:1:5: expected "eax=", "ebx=", "ecx=" or "edx="');
    // the error is at the end of the list's text, which the trailing newline follows
    expect(message(`["1:eax=${X32}"\n`)).toBe('xl.cfg:1:42: expected "," or "]" after an item');
  });

  it("an empty key is an unknown name, not a missing =", () => {
    expect(message("host,=1")).toBe('xl.cfg:1:6: unknown CPUID flag name ""');
  });

  it('errors name the source "libxl cpuid string" unless told otherwise', () => {
    expect(expectFormatError(() => parseLibxlCpuid("hots")).message).toBe('libxl cpuid string:1:1: a libxl cpuid string starts with "host", got "hots"');
  });
});

describe("xend cpuid lists", () => {
  it("reads spaces around numbers and items, hex and octal leaves, a trailing comma, and an empty list", () => {
    expect(parseLibxlCpuid(`[ ' 0x7 , 0 : ebx=${X32}', "010:ecx=${X32}", ]`)).toEqual({
      form: "xend",
      leaves: [
        { leaf: 7, subleaf: 0, registers: { ebx: X32 } },
        { leaf: 8, subleaf: null, registers: { ecx: X32 } },
      ],
    });
    expect(parseLibxlCpuid(" [ ] ")).toEqual({ form: "xend", leaves: [] });
  });

  it("leaf and subleaf take every 32-bit number", () => {
    expect(parseLibxlCpuid(`["0xffffffff,0xffffffff:eax=${X32}"]`)).toEqual({
      form: "xend",
      leaves: [{ leaf: 0xffffffff, subleaf: 0xffffffff, registers: { eax: X32 } }],
    });
  });

  it.each([
    ["an unquoted item", `[1:eax=${X32}]`, 2, 'expected a quoted xend cpuid item or "]"'],
    ["no comma between items", `["1:eax=${X32}" "2:eax=${X32}"]`, 43, 'expected "," or "]" after an item'],
    ["text after the list", `["1:eax=${X32}"] x`, 42, 'expected "]" ending the list'],
    ["a blank after the last item and no closing bracket", `["1:eax=${X32}" `, 42, 'expected "," or "]" after an item'],
    ["a comma and no closing bracket", `["1:eax=${X32}",`, 43, 'expected "]" ending the list'],
    ["an opening bracket alone", "[", 2, 'expected "]" ending the list'],
    ["no leaf before the colon", `[":eax=${X32}"]`, 3, 'leaf "" is not a 32-bit number'],
    ["no colon", `["1 eax=${X32}"]`, 3, 'expected "leaf[,subleaf]:" before the registers'],
    ["three numbers before the colon", `["1,2,3:eax=${X32}"]`, 3, 'expected "leaf[,subleaf]:"'],
    ["a leaf wider than 32 bits", `["0x100000000:eax=${X32}"]`, 3, 'leaf "0x100000000" is not a 32-bit number'],
    ["a subleaf that is no number", `["7,zz:eax=${X32}"]`, 5, 'subleaf "zz" is not a 32-bit number'],
    ["a subleaf wider than 32 bits", `["7, 0x100000000:eax=${X32}"]`, 5, 'subleaf " 0x100000000" is not a 32-bit number'],
    ["a register given twice", `["1:eax=${X32},eax=${X32}"]`, 42, "eax given twice"],
    ["an unknown register after a space", `["1:eax=${X32}, efx=${X32}"]`, 43, 'expected "eax=", "ebx=", "ecx=" or "edx="'],
    ["31 characters", `["1:edx=${"x".repeat(31)}"]`, 9, `edx must be exactly 32 characters of 0 1 x k s, got "${"x".repeat(31)}"`],
    ["a character that is not 0 1 x k s", `["1:edx=${"x".repeat(31)}y"]`, 9, `edx must be exactly 32 characters of 0 1 x k s, got "${"x".repeat(31)}y"`],
  ])("%s", (_what, text, column, why) => {
    expect(message(text)).toBe(`xl.cfg:1:${column}: ${why}`);
  });
});

describe("cpuid= writers", () => {
  const changes = {
    enable: [feature("lahf-lm"), feature("avx-vnni"), feature("sse3")],
    disable: [feature("xsaveopt"), feature("avx2"), feature("fpu")],
  };

  it("the xend list: one item per leaf and subleaf in order, bit n at character 31 - n, every other bit x", () => {
    const x = (n: number) => "x".repeat(n);
    expect(formatXendCpuid(changes)).toBe(
      `["0x1:ecx=${x(31)}1,edx=${x(31)}0", "0x7,0:ebx=${x(26)}0${x(5)}", "0x7,1:eax=${x(27)}1${x(4)}", "0xd,1:eax=${x(31)}0", "0x80000001:ecx=${x(31)}1"]`,
    );
    expect(formatXendCpuid({ enable: [], disable: [] })).toBe("[]");
  });

  it("the xend list reads back as the changes, leaves and subleaves in ascending order whatever order the changes come in", () => {
    const cpuidFeatures = FEATURES.filter((f) => f.source.kind === "cpuid");
    fc.assert(
      fc.property(fc.uniqueArray(fc.constantFrom(...cpuidFeatures), { minLength: 1, maxLength: 30 }), fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }), (fs, on) => {
        const enable = fs.filter((_, i) => on[i]);
        const disable = fs.filter((_, i) => !on[i]);
        const r = parseLibxlCpuid(formatXendCpuid({ enable, disable }));
        if (r.form !== "xend") throw new Error("expected the xend form");
        const order = r.leaves.map((l) => [l.leaf, l.subleaf ?? -1]);
        expect(order).toEqual(order.toSorted(([a, as], [b, bs]) => a - b || as - bs));
        expect(new Set(order.map(String)).size).toBe(order.length);
        const bit = (f: Feature) => {
          const s = f.source;
          if (s.kind !== "cpuid") throw new Error(`${f.name} is no CPUID feature`);
          return r.leaves.find((l) => l.leaf === s.leaf && l.subleaf === s.subleaf)?.registers[s.register]?.[31 - f.bit];
        };
        for (const f of enable) expect(bit(f), f.name).toBe("1");
        for (const f of disable) expect(bit(f), f.name).toBe("0");
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it("every CPUID leaf has a subleaf on all its features or on none (the xend list's order relies on it)", () => {
    const subleafed = new Map<number, Set<boolean>>();
    for (const { source: s } of FEATURES) if (s.kind === "cpuid") subleafed.set(s.leaf, (subleafed.get(s.leaf) ?? new Set()).add(s.subleaf !== null));
    expect([...subleafed].filter(([, kinds]) => kinds.size > 1)).toEqual([]);
    expect(subleafed.get(0x7)).toEqual(new Set([true]));
  });

  it("the xend list refuses MSR_ARCH_CAPS bits", () => {
    expect(() => formatXendCpuid({ enable: [feature("rfds-no")], disable: [] })).toThrow(
      new RangeError("rfds-no is an MSR_ARCH_CAPS bit; the xend cpuid= form has no MSRs"),
    );
  });

  it("the setting for a Xen version: a quoted libxl string, the xend list, or an error naming what cannot be written", () => {
    const target = emptyFeatureset();
    setFeature(target, feature("sse3"), true);
    const before = parseXenVersion("4.17");
    expect(cpuidSettingFromPolicies(target, emptyFeatureset(), "master")).toBe('"host,sse3=1"');
    expect(cpuidSettingFromPolicies(target, emptyFeatureset(), before)).toBe(formatXendCpuid({ enable: [feature("sse3")], disable: [] }));
    setFeature(target, feature("rfds-no"), true);
    expect(cpuidSettingFromPolicies(target, emptyFeatureset(), "master")).toBe('"host,sse3=1,rfds-no=1"');
    expect(() => cpuidSettingFromPolicies(target, emptyFeatureset(), before)).toThrow(
      new RangeError("the libxl of Xen 4.17.0 knows no name for sse3, rfds-no, and the xend form it would need instead sets no MSR_ARCH_CAPS bits (rfds-no)"),
    );
    setFeature(target, feature("eibrs"), true);
    expect(() => cpuidSettingFromPolicies(target, emptyFeatureset(), before)).toThrow(
      new RangeError("the libxl of Xen 4.17.0 knows no name for sse3, eibrs, rfds-no, and the xend form it would need instead sets no MSR_ARCH_CAPS bits (eibrs, rfds-no)"),
    );
  });

  it("bits no feature names are refused with their word and mask", () => {
    const target = emptyFeatureset();
    target[2] = 0x400;
    expect(() => cpuidSettingFromPolicies(target, emptyFeatureset(), "master")).toThrow(new RangeError("featureset word 2 differs in bits no feature names (0x400)"));
  });
});
