// Xen's recalculate_misc: clobber reserved / host-only fields and duplicate
// shared ones before a policy is offered to guests.

import { zeroRegs, type CpuPolicy, type Regs } from "../policy/cpu-policy.ts";
import { policyVendor } from "../policy/vendor.ts";

/** CPUID_COMMON_1D_FEATURES: leaf 1 edx bits AMD mirrors in 0x80000001 edx. */
const COMMON_1D = 0x0183f3ff;

function zero(leaves: Regs[], first: number, last: number): void {
  for (let i = first; i <= last; i++) leaves[i] = zeroRegs();
}

export function recalculateMisc(p: CpuPolicy): void {
  const b = p.basic;
  const e = p.extd;
  b[1].eax &= 0x0fff0fff; // processor type (Intel)
  b[1].ebx &= 0x00ffffff; // APIC ID: dynamic
  b[0x5] = zeroRegs(); // MONITOR
  b[0x6] = zeroRegs(); // thermal / power
  b[0x8] = zeroRegs();
  zero(p.topo, 0, p.topo.length - 1);
  b[0xc] = zeroRegs();
  e[1].edx = (e[1].edx & ~COMMON_1D) >>> 0;
  e[7].eax = e[7].ebx = e[7].ecx = 0; // power / RAS
  e[8].edx = 0;

  switch (policyVendor(p)) {
    case "intel":
      b[2].eax = ((b[2].eax & ~0xff) | 1) >>> 0; // leaf 2 query count fixed at 1
      b[0x3] = zeroRegs(); // PSN
      b[0x9] = zeroRegs(); // DCA
      e[0].ebx = e[0].ecx = e[0].edx = 0;
      e[1].eax = e[1].ebx = 0;
      e[5] = zeroRegs();
      e[6].eax = e[6].ebx = e[6].edx = 0;
      e[8].eax &= 0xffff;
      e[8].ecx = 0;
      break;
    case "amd":
    case "hygon":
      zero(b, 0x2, 0x3);
      zero(p.cache, 0, p.cache.length - 1);
      zero(b, 0x9, 0xa);
      e[0].ebx = b[0].ebx;
      e[0].ecx = b[0].ecx;
      e[0].edx = b[0].edx;
      e[1].eax = b[1].eax;
      e[1].ebx = (e[1].ebx & 0xff00ffff) >>> 0;
      e[1].edx = (e[1].edx | (b[1].edx & COMMON_1D)) >>> 0;
      e[8].eax &= 0xffff; // GuestMaxPhysAddr hidden
      e[8].ecx &= 0x0003f0ff;
      e[9] = zeroRegs();
      zero(e, 0xb, 0x18);
      // 0x19 (TLB) and 0x1a (perf hints) pass through
      zero(e, 0x1b, 0x20);
      e[0x21].ebx = 0;
      e[0x21].edx = 0;
      break;
  }
}
