// The Intel CPU dumps (../shared/fixtures/cpuid-dumps) the levelling
// benchmarks draw their hosts from: every Intel dump but the pre-Nehalem one.

export const INTEL_PROFILES: readonly string[] = [
  "intel/alderlake-s-core-i9-12900k-hybrid.txt",
  "intel/broadwell-ep-xeon-e5-2620v4.txt",
  "intel/cascadelake-sp-xeon-platinum-8280.txt",
  "intel/graniterapids-xeon-658x.txt",
  "intel/haswell-ep-xeon-e5-2699v3.txt",
  "intel/icelake-sp-xeon-platinum-8351n.txt",
  "intel/sapphirerapids-xeon-w7-2475x.txt",
  "intel/skylake-sp-xeon-platinum-8160-2s.txt",
];
