// Grouping values by key in insertion order, without copying lists per item.

export function groupBy<K, V>(items: Iterable<V>, key: (v: V) => K | undefined): Map<K, V[]> {
  const groups = new Map<K, V[]>();
  for (const v of items) {
    const k = key(v);
    if (k === undefined) continue;
    const list = groups.get(k);
    if (list) list.push(v);
    else groups.set(k, [v]);
  }
  return groups;
}

/** "a, b, c" — or, for a long list, the first few and how many more. */
export function hostList(hosts: readonly string[], shown = 8): string {
  if (hosts.length <= shown) return hosts.join(", ");
  return `${hosts.slice(0, shown).join(", ")} and ${hosts.length - shown} more`;
}
