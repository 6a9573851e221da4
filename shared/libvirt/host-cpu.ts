// A CPU policy in libvirt's words, as a host CPU (`virsh capabilities`
// style) that `virsh cpu-baseline` reads: libvirt's vendor name, the largest
// libvirt model whose features the CPU all has, and the CPU's other features
// libvirt can name. Features are read through libvirt's own map, from every
// CPUID leaf Xen stores and from MSR_ARCH_CAPS.

import { MSR_ARCH_CAPABILITIES } from "../featureset/words.ts";
import { hasSubleaves, leafRegs, NO_SUBLEAF, type CpuPolicy } from "../policy/cpu-policy.ts";
import { vendorString } from "../policy/vendor.ts";
import type { LibvirtCpuMap, LibvirtFeature, LibvirtModel } from "./cpu-map.ts";

export interface LibvirtHostCpu {
  vendor: string;
  model: string;
  /** the CPU's features beyond the model's, libvirt's names */
  features: string[];
}

function has(p: CpuPolicy, f: LibvirtFeature): boolean {
  const at = f.at;
  if (at.kind === "msr") {
    if (at.index !== MSR_ARCH_CAPABILITIES) return false;
    return (((at.bit < 32 ? p.archCapsLo : p.archCapsHi) >>> at.bit % 32) & 1) === 1;
  }
  const subleaf = hasSubleaves(at.leaf) ? (at.subleaf ?? 0) : (at.subleaf ?? 0) === 0 ? NO_SUBLEAF : undefined;
  const regs = subleaf === undefined ? undefined : leafRegs(p, at.leaf, subleaf);
  return regs !== undefined && ((regs[at.register] >>> at.bit) & 1) === 1;
}

/** libvirt's names of the features the policy has, in map order. */
export function libvirtFeatureNames(p: CpuPolicy, features: readonly LibvirtFeature[]): string[] {
  return features.filter((f) => has(p, f)).map((f) => f.name);
}

/**
 * A host CPU with these features (libvirt's names, as listed in the map):
 * the largest model of the vendor made only of them, plus the rest. Models
 * naming features no CPUID policy shows (the VMX capability MSRs of newer
 * maps) never fit.
 */
export function hostCpuOfFeatures(vendor: string, names: readonly string[], map: LibvirtCpuMap): LibvirtHostCpu {
  const present = new Set(names);
  const model = map.models
    .filter((m) => (m.vendor === undefined || m.vendor === vendor) && m.features.every((f) => present.has(f)))
    .reduce<LibvirtModel | undefined>((best, m) => (!best || m.features.length > best.features.length ? m : best), undefined);
  if (!model) throw new RangeError(`no libvirt model has only features this ${vendor} CPU has`);
  const inModel = new Set(model.features);
  return { vendor, model: model.name, features: names.filter((n) => !inModel.has(n)) };
}

export function libvirtHostCpu(p: CpuPolicy, map: LibvirtCpuMap): LibvirtHostCpu {
  const vendor = map.vendors.find((v) => v.string === vendorString(p));
  if (!vendor) throw new RangeError(`libvirt's CPU map has no vendor for CPUID vendor string ${JSON.stringify(vendorString(p))}`);
  return hostCpuOfFeatures(vendor.name, libvirtFeatureNames(p, map.features), map);
}

/** One `<cpu>` element, on one line (virsh cpu-baseline takes a file of them). */
export function hostCpuXml(cpu: LibvirtHostCpu): string {
  const features = cpu.features.map((f) => `<feature name='${f}'/>`).join("");
  return `<cpu><arch>x86_64</arch><model>${cpu.model}</model><vendor>${cpu.vendor}</vendor>${features}</cpu>`;
}
