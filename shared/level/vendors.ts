// Members that cannot be levelled at all: empty policies and mixed vendors.

import { policyVendor, vendorString } from "../policy/vendor.ts";
import { groupBy, hostList } from "./group.ts";
import { LEAF_FIELDS, type PoolBits } from "./pool-bits.ts";

const isEmpty = (pool: PoolBits, i: number) =>
  (pool.contributedLeaves[i * LEAF_FIELDS] | pool.vendor[i * 3] | pool.vendor[i * 3 + 1] | pool.vendor[i * 3 + 2]) === 0;

/** Xen shows an empty max policy for a guest type it cannot run (e.g. HVM without VT-x/SVM). */
export function emptyPolicyErrors(pool: PoolBits): string[] {
  return pool.hosts.filter((_, i) => isEmpty(pool, i)).map((h) => `host ${h} has an empty policy: Xen offers no such guests there`);
}

export function vendorErrors(pool: PoolBits): string[] {
  const v = pool.vendor;
  const n = pool.hosts.length;
  let first = -1;
  let mixed = false;
  for (let i = 0; i < n && !mixed; i++) {
    if (isEmpty(pool, i)) continue;
    if (first < 0) first = i;
    else mixed = v[i * 3] !== v[first * 3] || v[i * 3 + 1] !== v[first * 3 + 1] || v[i * 3 + 2] !== v[first * 3 + 2];
  }
  if (!mixed) return [];
  const nonEmpty = pool.hosts.map((_, i) => i).filter((i) => !isEmpty(pool, i));
  const groups = groupBy(nonEmpty, (i) => vendorString(pool.policies[i]));
  const parts = [...groups].map(([key, members]) => {
    const name = policyVendor(pool.policies[members[0]]);
    return `${name} ("${key.replace(/[^\x20-\x7e]/g, "?")}"): ${hostList(members.map((i) => pool.hosts[i]))}`;
  });
  return [`hosts of different vendors cannot share a pool level; ${parts.join("; ")}`];
}
