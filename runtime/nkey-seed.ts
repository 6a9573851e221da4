// Reading an nkey user seed file (the per-identity NATS credential).

import { readFileSync } from "node:fs";

export function readSeed(path: string): Uint8Array {
  const seed = readFileSync(path, "utf8").trim();
  if (!/^SU[A-Z2-7]+$/.test(seed)) throw new Error(`${path} does not hold an nkey user seed (SU…)`);
  return new TextEncoder().encode(seed);
}
