// Resolving a feature name the way people type it, with "did you mean" help.

import { FEATURE_NAMES, featureByName, type Feature } from "./features.ts";

/** Xen's spelling: lowercase, "-" for "_" (so "AVX512F" and "lahf_lm" resolve too). */
export const normaliseFeatureName = (name: string) => name.trim().toLowerCase().replace(/_/g, "-");

export function lookupFeature(name: string): Feature | undefined {
  return featureByName(normaliseFeatureName(name));
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** Lowercase without separators: "SSE_3", "sse-3" and "sse3" are one spelling for suggestions. */
const bare = (name: string) => normaliseFeatureName(name).replace(/[-\s]/g, "");

/** Up to `count` known names closest to `name`, ignoring case and separators (edit distance, then name order). */
export function closestFeatureNames(name: string, count = 3): string[] {
  const wanted = bare(name);
  return FEATURE_NAMES.map((n) => ({ n, b: bare(n) }))
    .map(({ n, b }) => ({ n, b, d: editDistance(wanted, b) - (b.startsWith(wanted) || wanted.startsWith(b) ? 1 : 0) }))
    .sort((x, y) => x.d - y.d || x.b.localeCompare(y.b) || x.n.localeCompare(y.n))
    .slice(0, count)
    .map((x) => x.n);
}

/** "unknown feature "avx-512f"; did you mean avx512f, …?" */
export function unknownFeatureMessage(name: string): string {
  return `unknown feature "${name}"; did you mean ${closestFeatureNames(name).join(", ")}?`;
}
