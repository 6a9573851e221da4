// Members that cannot be levelled at all: empty policies and mixed vendors.

import type { CpuPolicy } from "../policy/cpu-policy.ts";
import { policyVendor, vendorString } from "../policy/vendor.ts";

interface Named {
  host: string;
  policy: CpuPolicy;
}

const isEmptyPolicy = (p: CpuPolicy) => {
  const l0 = p.basic[0];
  return (l0.eax | l0.ebx | l0.ecx | l0.edx) === 0;
};

/** Xen shows an empty max policy for a guest type it cannot run (e.g. HVM without VT-x/SVM). */
export function emptyPolicyErrors(members: readonly Named[]): string[] {
  return members.filter((m) => isEmptyPolicy(m.policy)).map((m) => `host ${m.host} has an empty policy: Xen offers no such guests there`);
}

export function vendorErrors(members: readonly Named[]): string[] {
  const groups = new Map<string, string[]>();
  for (const m of members) {
    if (isEmptyPolicy(m.policy)) continue;
    const key = vendorString(m.policy);
    const hosts = groups.get(key);
    if (hosts) hosts.push(m.host);
    else groups.set(key, [m.host]);
  }
  if (groups.size <= 1) return [];
  const parts = [...groups].map(([, hosts]) => {
    const p = members.find((m) => m.host === hosts[0])!.policy;
    return `${policyVendor(p)} ("${vendorString(p).replace(/[^\x20-\x7e]/g, "?")}"): ${hosts.join(", ")}`;
  });
  return [`hosts of different vendors cannot share a pool level; ${parts.join("; ")}`];
}
