import { describe, expect, it } from "vitest";
import { FEATURES, featureByName } from "../../../shared/featureset/features.ts";
import { formatFeatureset } from "../../../shared/featureset/featureset.ts";
import * as masks from "../../../shared/featureset/masks.ts";
import { DEEP_DEPENDENTS, DEEP_FEATURES, sanitiseFeatureset } from "../../../shared/featureset/dependencies.ts";
import { FEATURES as ALL } from "../../../shared/featureset/features.ts";
import { WORDS, MSR_ARCH_CAPABILITIES } from "../../../shared/featureset/words.ts";
import { readShared } from "../../../devenv/fixtures.ts";

const tsvRows = readShared("reference", "xen-features.tsv")
  .trim()
  .split("\n")
  .slice(1)
  .map((l) => l.split("\t"));

describe("feature table vs reference/xen-features.tsv", () => {
  it("has all 287 features in 19 words", () => {
    expect(FEATURES).toHaveLength(287);
    expect(tsvRows).toHaveLength(287);
    expect(WORDS).toHaveLength(19);
  });

  it.each(tsvRows)("%s agrees on word, bit, leaf, subleaf, register and annotation", (name, word, bit, leaf, subleaf, reg, ann) => {
    const f = featureByName(name.toLowerCase().replace(/_/g, "-"));
    expect(f, name).toBeDefined();
    expect([f!.word, f!.bit]).toEqual([Number(word), Number(bit)]);
    expect([...f!.annotation].sort()).toEqual([...ann].sort());
    const s = f!.source;
    if (leaf.startsWith("MSR")) {
      expect(s.kind).toBe("msr");
      expect(parseInt(leaf.slice(4), 16)).toBe(MSR_ARCH_CAPABILITIES);
      expect(s.kind === "msr" && s.half).toBe(reg === "eax" ? "lo" : "hi");
    } else {
      expect(s).toEqual({ kind: "cpuid", leaf: parseInt(leaf, 16), subleaf: subleaf === "" ? null : Number(subleaf), register: reg });
    }
  });
});

describe("positions shared with libvirt's x86_features.xml", () => {
  const xml = readShared("fixtures", "libvirt-cpu-map", "x86_features.xml");
  const blocks = [...xml.matchAll(/<feature name='([^']+)'>([\s\S]*?)<\/feature>/g)];
  const norm = (n: string) => n.toLowerCase().replace(/[_.]/g, "-");
  // Same name, different bit: libvirt's ssb-no is Intel's MSR_ARCH_CAPS bit
  // (Xen: intel-ssb-no), its amd-ssb-no is Xen's ssb-no.
  const renamed: Record<string, string> = { "ssb-no": "intel-ssb-no", "amd-ssb-no": "ssb-no" };
  const checked: string[] = [];

  for (const [, name, body] of blocks) {
    const names = [name, ...[...body.matchAll(/<alias name='([^']+)'/g)].map((m) => m[1])].map(norm).map((n) => renamed[n] ?? n);
    const f = names.map((n) => featureByName(n)).find((x) => x !== undefined);
    if (!f) continue;
    checked.push(f.name);
    it(`${name} (xen ${f.name}) sits at the same place`, () => {
      const cpuid = body.match(/<cpuid eax_in='(0x[0-9a-f]+)'(?: ecx_in='(0x[0-9a-f]+)')? (eax|ebx|ecx|edx)='(0x[0-9a-f]+)'\/>/);
      const msr = body.match(/<msr index='(0x[0-9a-f]+)' edx='(0x[0-9a-f]+)' eax='(0x[0-9a-f]+)'\/>/);
      if (cpuid) {
        expect(f.source.kind).toBe("cpuid");
        if (f.source.kind !== "cpuid") return;
        expect(f.source.leaf).toBe(parseInt(cpuid[1], 16));
        expect(f.source.subleaf ?? 0).toBe(cpuid[2] ? parseInt(cpuid[2], 16) : 0);
        expect(f.source.register).toBe(cpuid[3]);
        expect(parseInt(cpuid[4], 16) >>> 0).toBe((1 << f.bit) >>> 0);
      } else if (msr) {
        expect(f.source.kind).toBe("msr");
        if (f.source.kind !== "msr") return;
        expect(parseInt(msr[1], 16)).toBe(MSR_ARCH_CAPABILITIES);
        const [edx, eax] = [parseInt(msr[2], 16) >>> 0, parseInt(msr[3], 16) >>> 0];
        expect(f.source.half === "lo" ? eax : edx).toBe((1 << f.bit) >>> 0);
      } else {
        throw new Error(`libvirt feature ${name} has no cpuid/msr position`);
      }
    });
  }

  it("compares a substantial overlap", () => {
    expect(checked.length).toBeGreaterThan(150);
  });
});

describe("masks vs reference §2.2 (gen-cpuid output at master)", () => {
  const ref = Object.fromEntries(
    [...readShared("reference", "xen-cpu-policy.md").matchAll(/^([A-Z_]+)\s+((?:[0-9a-f]{8}:){18}[0-9a-f]{8})$/gm)].map((m) => [m[1], m[2]]),
  );
  const mine: Record<string, Uint32Array> = {
    KNOWN: masks.KNOWN_FEATURES,
    SPECIAL: masks.SPECIAL_FEATURES,
    SIMPLE_OR: masks.SIMPLE_OR_FEATURES,
    PV_DEF: masks.PV_DEF_MASK,
    PV_MAX: masks.PV_MAX_MASK,
    HVM_SH_DEF: masks.HVM_SHADOW_DEF_MASK,
    HVM_SH_MAX: masks.HVM_SHADOW_MAX_MASK,
    HVM_HAP_DEF: masks.HVM_HAP_DEF_MASK,
    HVM_HAP_MAX: masks.HVM_HAP_MAX_MASK,
    DEEP: DEEP_FEATURES,
  };
  it("reference lists all ten masks", () => expect(Object.keys(ref).sort()).toEqual(Object.keys(mine).sort()));
  it.each(Object.keys(mine))("%s equals the reference words", (k) => expect(formatFeatureset(mine[k])).toBe(ref[k]));
});

describe("deep dependency closure vs reference §2.3/§2.4", () => {
  const closureOf = (name: string) =>
    ALL.filter((f) => {
      const deps = DEEP_DEPENDENTS.get(featureByName(name)!.value)!;
      return (deps[f.word] & (1 << f.bit)) !== 0;
    }).map((f) => f.name);

  it("has 32 keys", () => expect(DEEP_DEPENDENTS.size).toBe(32));

  it("FPU closure is exactly MMX, MMXEXT, 3DNOW, 3DNOWEXT, RSTR_FP_ERR_PTRS", () => {
    expect(closureOf("fpu").sort()).toEqual(["3dnow", "3dnowext", "mmx", "mmxext", "rstr-fp-err-ptrs"]);
  });

  it("PAE closure is LM's tree plus NX/SMAP", () => {
    expect(closureOf("pae").sort()).toEqual(
      ["lm", "nx", "cx16", "pcid", "lahf-lm", "page1gb", "pku", "no-lmsl", "smap", "amx-tile", "amx-bf16", "amx-int8", "amx-fp16", "amx-complex", "cmpccxadd", "lkgs", "movrs"].sort(),
    );
  });

  it("FXSR closure is FFXSR, SSE and everything below SSE", () => {
    const sse = closureOf("sse");
    expect(closureOf("fxsr").sort()).toEqual(["ffxsr", "sse", ...sse].sort());
    for (const n of ["sse2", "misalignsse", "sse3", "ssse3", "sse4-1", "sse4-2", "sse4a", "aesni", "vaes", "pclmulqdq", "vpclmulqdq", "sha", "gfni", "lm", "cx16", "movrs"]) {
      expect(sse).toContain(n);
    }
    expect(sse).not.toContain("popcnt");
  });

  it("XSAVE reaches every AVX-family feature", () => {
    const x = closureOf("xsave");
    for (const n of ["xsaveopt", "xsavec", "xgetbv1", "xsaves", "lwp", "mpx", "pku", "amx-tile", "amx-complex", "avx", "avx2", "avx512f", "avx512-bf16", "avx512-fp16", "avx-vnni", "sha512", "sm3", "sm4", "vaes", "vpclmulqdq"]) {
      expect(x).toContain(n);
    }
  });

  it("IBRSB reaches EIBRS and RRSBA; IBRS reaches EPSF", () => {
    expect(closureOf("ibrsb")).toEqual(expect.arrayContaining(["eibrs", "rrsba", "stibp", "ssbd"]));
    expect(closureOf("ibrs")).toEqual(expect.arrayContaining(["psfd", "epsf", "stibp-always"]));
  });

  it("ARCH_CAPS covers all 64 bits of MSR_ARCH_CAPS", () => {
    const d = DEEP_DEPENDENTS.get(featureByName("arch-caps")!.value)!;
    expect([d[16], d[17]]).toEqual([0xffffffff, 0xffffffff]);
  });

  it("sanitise clears the whole subtree of a disabled feature", () => {
    const fs = masks.KNOWN_FEATURES.slice();
    const xsave = featureByName("xsave")!;
    fs[xsave.word] &= ~(1 << xsave.bit);
    sanitiseFeatureset(fs, masks.KNOWN_FEATURES);
    for (const n of closureOf("xsave")) {
      const f = featureByName(n)!;
      expect(fs[f.word] & (1 << f.bit), n).toBe(0);
    }
    const sse = featureByName("sse")!;
    expect(fs[sse.word] & (1 << sse.bit)).not.toBe(0);
  });
});
