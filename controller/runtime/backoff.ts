// Exponential backoff: base · 2^(failures−1), capped. Pure.

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

/** Delay before retry number `failures` (1 = first retry). */
export function backoffDelay(failures: number, { baseMs, maxMs }: BackoffOptions): number {
  if (failures <= 0) return 0;
  // 2^30 already dwarfs any sane cap; avoids Infinity for huge failure counts.
  const exponent = Math.min(failures - 1, 30);
  return Math.min(maxMs, baseMs * 2 ** exponent);
}
