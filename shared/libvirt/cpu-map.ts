// libvirt's x86 CPU map (the XML files libvirt installs in
// /usr/share/libvirt/cpu_map): feature names with the CPUID bit or MSR bit
// each stands for, vendor names, and the named CPU models. Parsed from the
// files' text; reading them is the caller's job.

import { FormatError } from "../formats/format-error.ts";
import type { Register } from "../featureset/words.ts";
import { descendants, parseXmlElements, type XmlElement } from "./xml-elements.ts";

export type LibvirtFeatureBit =
  /** subleaf null: the map gives no ecx_in */
  | { kind: "cpuid"; leaf: number; subleaf: number | null; register: Register; bit: number }
  | { kind: "msr"; index: number; bit: number };

export interface LibvirtFeature {
  name: string;
  /** other names libvirt accepts for it (e.g. QEMU's "sse4_1" for "sse4.1") */
  aliases: string[];
  at: LibvirtFeatureBit;
}

export interface LibvirtModel {
  name: string;
  /** libvirt's vendor name ("Intel", "AMD", "Hygon"); absent for generic models */
  vendor?: string;
  features: string[];
}

export interface LibvirtVendor {
  name: string;
  /** the CPUID leaf 0 vendor string, e.g. "GenuineIntel" */
  string: string;
}

export interface LibvirtCpuMap {
  features: LibvirtFeature[];
  vendors: LibvirtVendor[];
  models: LibvirtModel[];
}

const REGISTERS: readonly Register[] = ["eax", "ebx", "ecx", "edx"];

function number(el: XmlElement, attr: string, source: string): number {
  const text = el.attrs[attr];
  const n = Number(text);
  if (text === undefined || !Number.isInteger(n) || n < 0) throw new FormatError(source, el.line, 1, `<${el.name}> needs a number in ${attr}= (got ${JSON.stringify(text)})`);
  return n;
}

function singleBit(mask: number, el: XmlElement, source: string): number {
  const bit = Math.log2(mask);
  if (!Number.isInteger(bit)) throw new FormatError(source, el.line, 1, `<${el.name}> mask 0x${mask.toString(16)} is not a single bit`);
  return bit;
}

function featureBit(feature: XmlElement, source: string): LibvirtFeatureBit {
  const [cpuid] = descendants(feature, "cpuid");
  if (cpuid) {
    const set = REGISTERS.filter((r) => cpuid.attrs[r] !== undefined && number(cpuid, r, source) !== 0);
    if (set.length !== 1) throw new FormatError(source, cpuid.line, 1, `feature ${feature.attrs.name} must set exactly one register bit`);
    const register = set[0];
    const subleaf = cpuid.attrs.ecx_in === undefined ? null : number(cpuid, "ecx_in", source);
    return { kind: "cpuid", leaf: number(cpuid, "eax_in", source), subleaf, register, bit: singleBit(number(cpuid, register, source), cpuid, source) };
  }
  const [msr] = descendants(feature, "msr");
  if (!msr) throw new FormatError(source, feature.line, 1, `feature ${feature.attrs.name} has neither <cpuid> nor <msr>`);
  const lo = number(msr, "eax", source);
  const hi = number(msr, "edx", source);
  if ((lo !== 0) === (hi !== 0)) throw new FormatError(source, msr.line, 1, `feature ${feature.attrs.name} must set exactly one MSR bit`);
  return { kind: "msr", index: number(msr, "index", source), bit: lo ? singleBit(lo, msr, source) : 32 + singleBit(hi, msr, source) };
}

function named(el: XmlElement, source: string): string {
  const name = el.attrs.name;
  if (!name) throw new FormatError(source, el.line, 1, `<${el.name}> without a name`);
  return name;
}

/** The `<cpus>` root's children of one map file. */
function mapEntries(text: string, source: string): XmlElement[] {
  const root = parseXmlElements(text, source);
  if (root.length !== 1 || root[0].name !== "cpus") throw new FormatError(source, 1, 1, "expected one <cpus> root element");
  return root[0].children;
}

const featuresOf = (entries: XmlElement[], source: string): LibvirtFeature[] =>
  entries
    .filter((e) => e.name === "feature")
    .map((f) => ({
      name: named(f, source),
      aliases: f.children.filter((c) => c.name === "alias").map((a) => named(a, source)),
      at: featureBit(f, source),
    }));

const vendorsOf = (entries: XmlElement[], source: string): LibvirtVendor[] =>
  entries
    .filter((e) => e.name === "vendor")
    .map((v) => {
      const string = v.attrs.string;
      if (string?.length !== 12) throw new FormatError(source, v.line, 1, `vendor ${v.attrs.name} needs a 12-character string=`);
      return { name: named(v, source), string };
    });

/**
 * A model that names another model (`<model name='Base'/>` inside it) starts
 * from that model's features, which `resolve` (the models read so far) supplies.
 */
const modelsOf = (entries: XmlElement[], source: string, resolve: (name: string) => LibvirtModel | undefined): LibvirtModel[] =>
  entries
    .filter((e) => e.name === "model")
    .map((m) => {
      const base = m.children.find((c) => c.name === "model");
      const parent = base && resolve(named(base, source));
      if (base && !parent) throw new FormatError(source, base.line, 1, `model ${m.attrs.name} builds on unknown model ${base.attrs.name}`);
      const vendor = m.children.find((c) => c.name === "vendor");
      const own = m.children.filter((c) => c.name === "feature").map((f) => named(f, source));
      const v = vendor ? named(vendor, source) : parent?.vendor;
      return { name: named(m, source), ...(v ? { vendor: v } : {}), features: [...new Set([...(parent?.features ?? []), ...own])] };
    });

/** x86_features.xml */
export const parseLibvirtFeatures = (text: string, source: string) => featuresOf(mapEntries(text, source), source);

/** index.xml: the x86 files, in the order libvirt reads them. */
export function x86MapFiles(text: string, source: string): string[] {
  const arch = parseXmlElements(text, source)
    .flatMap((r) => descendants(r, "arch"))
    .find((a) => a.attrs.name === "x86");
  if (!arch) throw new FormatError(source, 1, 1, "no <arch name='x86'> in the CPU map index");
  return descendants(arch, "include").map((i) => {
    const file = i.attrs.filename;
    if (!file) throw new FormatError(source, i.line, 1, "<include> without filename=");
    return file;
  });
}

/** The whole x86 map from index.xml and a reader of the files it includes. */
export function loadLibvirtCpuMap(indexText: string, read: (file: string) => string): LibvirtCpuMap {
  const map: LibvirtCpuMap = { features: [], vendors: [], models: [] };
  const byName = new Map<string, LibvirtModel>();
  for (const file of x86MapFiles(indexText, "index.xml")) {
    const entries = mapEntries(read(file), file);
    map.features.push(...featuresOf(entries, file));
    map.vendors.push(...vendorsOf(entries, file));
    for (const m of modelsOf(entries, file, (n) => byName.get(n))) {
      byName.set(m.name, m);
      map.models.push(m);
    }
  }
  return map;
}
