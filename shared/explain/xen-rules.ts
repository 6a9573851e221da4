// What Xen does to particular features beyond the annotation masks
// (reference: xen-cpu-policy.md §1.4–1.6, §1.10, §9), for `explain`.

const VERW_HINT =
  "Intel max policies always offer it so VMs that saw it elsewhere can migrate in; default policies only when the host has it; OR-ed in pool levels";

export const XEN_RULES: Readonly<Record<string, readonly string[]>> = {
  apic: ["HVM guests always get an emulated APIC, whatever the host has"],
  x2apic: ["HVM guests always get an emulated x2APIC", "PV max policies offer it (4.19+) only to let VMs that saw it migrate in"],
  hypervisor: ["always set for guests"],
  htt: ["max policies always offer it (topology is the toolstack's choice); default follows the host"],
  "cmp-legacy": ["max policies always offer it (topology is the toolstack's choice); default follows the host"],
  osxsave: ["dynamic: reflects the guest's CR4.OSXSAVE at CPUID time"],
  ospke: ["dynamic: reflects the guest's CR4.PKE at CPUID time"],
  rdrand: ["hidden by default on Ivy Bridge (SRBDS, XSA-320) unless Xen runs with cpuid=rdrand; can still be opted in"],
  "md-clear": [VERW_HINT],
  "fb-clear": [VERW_HINT],
  "rfds-clear": [VERW_HINT],
  "verw-clear": ["AMD max policies always offer it; default only when the host has it; OR-ed in pool levels"],
  "arch-caps": ["Intel max (and since 4.18 default) policies always offer MSR_ARCH_CAPABILITIES", "every MSR_ARCH_CAPS bit depends on it"],
  rsba: [
    "Intel max policies always offer it; default gets RSBA (or RRSBA when eIBRS is visible) if the host suffers RSB underflow to alternate predictors",
    "a pool level keeps it if any host has it (retpoline may be unsafe somewhere in the pool)",
  ],
  rrsba: [
    "Intel max policies always offer it; default gets it instead of RSBA when eIBRS is visible and the host has RSBA/RRSBA",
    "a pool level keeps it if any host has it and eIBRS survives levelling, otherwise it becomes RSBA",
  ],
  clwb: ["on Skylake-X/Cascade Lake with GDS microcode Xen hides it from itself and from default policies, but max still offers it"],
  "rtm-always-abort": ["max policies offer it wherever RTM is offered; default gets it when TSX is force-disabled"],
  rtm: ["default policies drop it when TSX is force-disabled (RTM_ALWAYS_ABORT instead)"],
  stibp: ["offered whenever IBRSB is"],
  "amd-stibp": ["offered whenever IBRS is"],
  ibpb: ["offered whenever the host has IBRSB"],
  "no-lmsl": ["HVM max policies always offer it (Xen never supports EFER.LMSLE)"],
  "virt-ssbd": ["HVM: offered when Xen virtualises VIRT_SPEC_CTRL (amd_virt_spec_ctrl) or the host has AMD_SSBD"],
  sep: ["AMD/Hygon: HVM guests get it when the hardware has it, PV guests never"],
  itsc: [
    "opt-in (libxl sets it for nomigrate or tsc_mode=always_emulate, or cpuid=\"host,invtsc=1\"); dom0 gets it",
    "keeping it across migration needs an equal TSC frequency or (HVM) TSC scaling",
  ],
  "fdp-excp-only": ["always the host's value (Xen folds it in)"],
  "no-fpu-sel": ["always the host's value (Xen folds it in)"],
  xsave: ["cleared when the guest's basic max leaf is below 0xd"],
  vmx: ["hidden unless the domain has nested virtualisation enabled"],
  svm: ["hidden unless the domain has nested virtualisation enabled"],
  lm: ["hidden from 32-bit PV guests"],
  "srso-us-no": ["PV: only offered when SRSO_MSR_FIX and BP_SPEC_REDUCE are active"],
};
