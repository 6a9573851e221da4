// Members that cannot be levelled at all: empty policies and mixed vendors.

import { policyVendor, vendorString } from "../policy/vendor.ts";
import { groupBy, hostList } from "./group.ts";
import { hostsOfClasses, LEAF_FIELDS, type PoolBits } from "./pool-bits.ts";

const isEmpty = (pool: PoolBits, c: number) =>
  (pool.contributedLeaves[c * LEAF_FIELDS] | pool.vendor[c * 3] | pool.vendor[c * 3 + 1] | pool.vendor[c * 3 + 2]) === 0;

/** Xen shows an empty max policy for a guest type it cannot run (e.g. HVM without VT-x/SVM). */
export function emptyPolicyErrors(pool: PoolBits): string[] {
  return hostsOfClasses(pool, (c) => isEmpty(pool, c)).map((h) => `host ${h} has an empty policy: Xen offers no such guests there`);
}

export function vendorErrors(pool: PoolBits): string[] {
  const v = pool.vendor;
  let first = -1;
  let mixed = false;
  for (let c = 0; c < pool.classes && !mixed; c++) {
    if (isEmpty(pool, c)) continue;
    if (first < 0) first = c;
    else mixed = v[c * 3] !== v[first * 3] || v[c * 3 + 1] !== v[first * 3 + 1] || v[c * 3 + 2] !== v[first * 3 + 2];
  }
  if (!mixed) return [];
  const nonEmpty = pool.hosts.map((_, i) => i).filter((i) => !isEmpty(pool, pool.classOf[i]));
  const groups = groupBy(nonEmpty, (i) => vendorString(pool.policies[pool.classOf[i]]));
  const parts = [...groups].map(([key, members]) => {
    const name = policyVendor(pool.policies[pool.classOf[members[0]]]);
    return `${name} ("${key.replace(/[^\x20-\x7e]/g, "?")}"): ${hostList(members.map((i) => pool.hosts[i]))}`;
  });
  return [`hosts of different vendors cannot share a pool level; ${parts.join("; ")}`];
}
