// Vendor / family / model tests the derivation needs (Xen's boot_cpu_data
// vendor and vfm comparisons).

import type { CpuPolicy } from "../policy/cpu-policy.ts";
import { policySignature, policyVendor, type Vendor } from "../policy/vendor.ts";

export interface CpuModel {
  vendor: Vendor;
  family: number;
  model: number;
  stepping: number;
}

export function cpuModel(p: CpuPolicy): CpuModel {
  return { vendor: policyVendor(p), ...policySignature(p) };
}


/** Intel family 6 model test (Xen's INTEL_* vfm constants). */
export const intelFam6 = (m: CpuModel, ...models: number[]) =>
  m.vendor === "intel" && m.family === 6 && models.includes(m.model);

export const INTEL = {
  IVYBRIDGE: 0x3a,
  HASWELL: 0x3c,
  HASWELL_X: 0x3f,
  HASWELL_L: 0x45,
  HASWELL_G: 0x46,
  BROADWELL: 0x3d,
  BROADWELL_G: 0x47,
  BROADWELL_X: 0x4f,
  BROADWELL_D: 0x56,
  SKYLAKE_L: 0x4e,
  SKYLAKE: 0x5e,
  SKYLAKE_X: 0x55,
  KABYLAKE_L: 0x8e,
  KABYLAKE: 0x9e,
  COMETLAKE: 0xa5,
  COMETLAKE_L: 0xa6,
  ICELAKE_X: 0x6a,
  ICELAKE_D: 0x6c,
  ICELAKE_L: 0x7e,
  ROCKETLAKE: 0xa7,
  TIGERLAKE_L: 0x8c,
  TIGERLAKE: 0x8d,
  ALDERLAKE: 0x97,
  ALDERLAKE_L: 0x9a,
  RAPTORLAKE: 0xb7,
  RAPTORLAKE_P: 0xba,
  RAPTORLAKE_S: 0xbf,
  ATOM_GOLDMONT: 0x5c,
  ATOM_GOLDMONT_D: 0x5f,
  ATOM_GOLDMONT_PLUS: 0x7a,
  ATOM_TREMONT_D: 0x86,
  ATOM_TREMONT: 0x96,
  ATOM_TREMONT_L: 0x9c,
  ATOM_GRACEMONT: 0xbe,
} as const;
