import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { featureByName } from "../../../shared/featureset/features.ts";
import { featuresetFromNames } from "../../../shared/featureset/featureset.ts";
import { compareWithLibvirt } from "../../../shared/libvirt/agreement.ts";
import { parseLibvirtBaseline } from "../../../shared/libvirt/baseline-output.ts";
import { loadLibvirtCpuMap, parseLibvirtFeatures } from "../../../shared/libvirt/cpu-map.ts";
import { pairFeatureNames } from "../../../shared/libvirt/feature-names.ts";
import { hostCpuXml, libvirtFeatureNames, libvirtHostCpu } from "../../../shared/libvirt/host-cpu.ts";
import { parseXmlElements } from "../../../shared/libvirt/xml-elements.ts";
import { FIXTURES_DIR } from "../../../devenv/fixtures.ts";
import { xenPolicies } from "../derive/support.ts";
import { expectFormatError } from "../formats/expect-format-error.ts";

const MAP_DIR = join(FIXTURES_DIR, "libvirt-cpu-map");
const read = (file: string) => readFileSync(join(MAP_DIR, file), "utf8");
const FEATURES = parseLibvirtFeatures(read("x86_features.xml"), "x86_features.xml");
const PAIRS = pairFeatureNames(FEATURES);
/**
 * The fixture holds only some of the files libvirt's index.xml includes, and
 * its real models list VMX capability MSRs no CPUID policy shows (so no policy
 * fits them): small models of our own sit beside them.
 */
const OWN_MODELS = `<cpus>
  <model name='Small'><vendor name='Intel'/><feature name='fpu'/><feature name='sse'/></model>
  <model name='Bigger'><vendor name='Intel'/><feature name='fpu'/><feature name='sse'/><feature name='sse2'/><feature name='avx2'/></model>
  <model name='Wider'><vendor name='Intel'/><feature name='fpu'/><feature name='sse'/><feature name='sse2'/><feature name='avx2'/><feature name='avx512f'/></model>
  <model name='Amd'><vendor name='AMD'/><feature name='fpu'/><feature name='sse'/><feature name='sse2'/><feature name='avx2'/><feature name='sse4.1'/></model>
</cpus>`;
const FIXTURE_INDEX = `<cpus><arch name='x86'>${["x86_vendors.xml", "x86_features.xml", "x86_Haswell.xml", "x86_SapphireRapids.xml", "own.xml"].map((f) => `<include filename='${f}'/>`).join("")}</arch></cpus>`;
const MAP = loadLibvirtCpuMap(FIXTURE_INDEX, (f) => (f === "own.xml" ? OWN_MODELS : read(f)));
const ALDER = xenPolicies("xen-cpuid-p_core-i5-12600k_alderlake.txt");

describe("libvirt's CPU map", () => {
  it("pairs libvirt's names with ours by CPUID leaf, subleaf, register and bit, aliases included", () => {
    expect(PAIRS.toLibvirt.get("sse4-1")).toBe("sse4.1");
    expect(PAIRS.toOurs.get("sse4_1")).toBe("sse4-1");
    expect(PAIRS.toLibvirt.get("lahf-lm")).toBe("lahf_lm");
    expect(PAIRS.toLibvirt.get("itsc")).toBe("invtsc");
    expect(PAIRS.toLibvirt.get("avx512f")).toBe("avx512f");
    expect(PAIRS.toLibvirt.get("xsaveopt")).toBe("xsaveopt");
  });

  it("pairs MSR_ARCH_CAPABILITIES bits with our MSR words, and leaves MSRs we do not hold unpaired", () => {
    expect(PAIRS.toLibvirt.get("rdcl-no")).toBe("rdctl-no");
    expect(PAIRS.toLibvirt.get("gds-no")).toBe("gds-no");
    expect(PAIRS.toOurs.has("vmx-exit-nosave-debugctl")).toBe(false);
    expect(PAIRS.toOurs.has("split-lock-detect")).toBe(false);
  });

  it("pairs each of our features with at most one libvirt feature, and at the same bit", () => {
    const ours = [...PAIRS.toOurs.values()];
    expect(new Set(PAIRS.toLibvirt.values()).size).toBe(PAIRS.toLibvirt.size);
    expect(PAIRS.toLibvirt.size).toBeGreaterThan(150);
    for (const f of FEATURES.filter((x) => PAIRS.toOurs.has(x.name))) {
      const mine = featureByName(PAIRS.toOurs.get(f.name)!)!;
      expect(f.at.bit % 32, f.name).toBe(mine.bit);
    }
    expect(ours.every((n) => featureByName(n) !== undefined)).toBe(true);
  });

  it("reads vendors and models, with their vendor and features", () => {
    expect(MAP.vendors.map((v) => `${v.name}=${v.string}`)).toEqual(["Intel=GenuineIntel", "AMD=AuthenticAMD", "Hygon=HygonGenuine"]);
    const haswell = MAP.models.find((m) => m.name === "Haswell")!;
    expect(haswell.vendor).toBe("Intel");
    expect(haswell.features).toContain("avx2");
  });

  it("a model building on another starts from that model's features", () => {
    const map = loadLibvirtCpuMap("<cpus><arch name='x86'><include filename='a.xml'/><include filename='b.xml'/></arch></cpus>", (f) =>
      f === "a.xml" ? "<cpus><model name='A'><vendor name='Intel'/><feature name='fpu'/></model></cpus>" : "<cpus><model name='B'><model name='A'/><feature name='sse'/></model></cpus>",
    );
    expect(map.models.at(-1)).toEqual({ name: "B", vendor: "Intel", features: ["fpu", "sse"] });
  });

  it("rejects malformed map files with where and why", () => {
    expect(expectFormatError(() => parseLibvirtFeatures("<cpus>\n  <feature name='x'>\n</cpus>", "f.xml")).message).toMatch(/^f\.xml:3:\d+: <\/cpus> closes <feature> \(line 2\)/);
    expect(expectFormatError(() => parseLibvirtFeatures("<cpus><feature name='x'><cpuid eax_in='0x1' ecx='0x3'/></feature></cpus>", "f.xml")).message).toMatch(/mask 0x3 is not a single bit/);
    expect(expectFormatError(() => parseLibvirtFeatures("<cpus><feature name='x'/></cpus>", "f.xml")).message).toMatch(/neither <cpuid> nor <msr>/);
    expect(expectFormatError(() => loadLibvirtCpuMap("<cpus><arch name='x86'><include filename='b.xml'/></arch></cpus>", () => "<cpus><model name='B'><model name='A'/></model></cpus>")).message).toMatch(
      /builds on unknown model A/,
    );
    expect(expectFormatError(() => parseXmlElements("<a><b x='1'></a>", "t")).message).toMatch(/<\/a> closes <b>/);
  });
});

describe("a CPU as a libvirt host CPU", () => {
  it("is the largest model made only of its features, plus the rest of its features", () => {
    const names = libvirtFeatureNames(ALDER.raw, MAP.features);
    const cpu = libvirtHostCpu(ALDER.raw, MAP);
    const model = MAP.models.find((m) => m.name === cpu.model)!;
    expect(cpu.vendor).toBe("Intel");
    expect(cpu.model).toBe("Bigger");
    expect(model.features.every((f) => names.includes(f))).toBe(true);
    expect(new Set([...model.features, ...cpu.features])).toEqual(new Set(names));
    const bigger = MAP.models.filter((m) => m.vendor === "Intel" && m.features.length > model.features.length && m.features.every((f) => names.includes(f)));
    expect(bigger).toEqual([]);
    expect(hostCpuXml(cpu)).toMatch(new RegExp(`^<cpu><arch>x86_64</arch><model>${cpu.model}</model><vendor>Intel</vendor>(<feature name='[^']+'/>)+</cpu>$`));
  });

  it("reads features from leaves outside our featureset words too (leaf 6 arat) and from MSR_ARCH_CAPS", () => {
    const names = libvirtFeatureNames(ALDER.raw, MAP.features);
    expect(names).toContain("arat");
    expect(names).toContain("rdctl-no");
    expect(names).toContain("avx2");
  });
});

describe("virsh cpu-baseline output", () => {
  it("reads model, vendor, required and disabled features", () => {
    const text = "<cpu mode='custom' match='exact'>\n  <model fallback='allow'>Haswell</model>\n  <vendor>Intel</vendor>\n  <feature policy='require' name='avx512f'/>\n  <feature policy='disable' name='hle'/>\n</cpu>\n";
    expect(parseLibvirtBaseline(text, "virsh")).toEqual({ model: "Haswell", vendor: "Intel", required: ["avx512f"], disabled: ["hle"] });
  });

  it("rejects output that is not one baseline CPU", () => {
    expect(expectFormatError(() => parseLibvirtBaseline("", "virsh")).message).toMatch(/expected one <cpu> element, got nothing/);
    expect(expectFormatError(() => parseLibvirtBaseline("<cpu><vendor>Intel</vendor></cpu>", "virsh")).message).toMatch(/has no <model>/);
  });
});

describe("agreement with libvirt's baseline", () => {
  const fs = (...names: string[]) => featuresetFromNames(names);
  const baseline = (...required: string[]) => ({ model: "n270", required, disabled: [] });

  it("explains what Xen offers guests beyond the hardware, OR-ed hints and features Xen hides", () => {
    const hosts = [
      { host: "a", hardware: fs("sse2", "avx"), guestMax: fs("sse2", "hypervisor", "rsba") },
      { host: "b", hardware: fs("sse2", "avx"), guestMax: fs("sse2", "avx", "hypervisor") },
    ];
    const a = compareWithLibvirt(fs("sse2", "hypervisor", "rsba"), baseline("sse2", "avx"), PAIRS, hosts);
    expect(a.agrees).toBe(true);
    expect(a.compared).toBe(3);
    expect(a.onlyOurs).toEqual([
      { feature: "hypervisor", libvirt: "hypervisor", reason: "Xen offers it to guests where the hardware does not report it (a, b)" },
      { feature: "rsba", libvirt: "rsba", reason: "pool-wide hint, OR-ed by levelling (not offered on b)" },
    ]);
    expect(a.onlyLibvirt).toEqual([{ feature: "avx", libvirt: "avx", reason: "Xen does not offer it to guests on a" }]);
  });

  it("disagrees when our level keeps a feature every host's hardware has but libvirt dropped", () => {
    const hosts = [{ host: "a", hardware: fs("sse2", "avx"), guestMax: fs("sse2", "avx") }];
    const a = compareWithLibvirt(fs("sse2", "avx"), baseline("sse2"), PAIRS, hosts);
    expect(a.agrees).toBe(false);
    expect(a.onlyOurs).toEqual([{ feature: "avx", libvirt: "avx", reason: undefined }]);
  });
});
