// nkey user seed files (the per-identity NATS credential): reading one, with
// a check that it holds a user seed, and creating one where there is none.

import { createUser, fromSeed } from "@nats-io/nkeys";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export function readSeed(path: string): Uint8Array {
  const seed = readFileSync(path, "utf8").trim();
  if (!/^SU[A-Z2-7]+$/.test(seed)) throw new Error(`${path} does not hold an nkey user seed (SU…)`);
  return new TextEncoder().encode(seed);
}

/** Creates a new user seed at `path` (directories 0700, file 0600) unless one is there; returns `path`. */
export function ensureSeedFile(path: string): string {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, `${new TextDecoder().decode(createUser().getSeed())}\n`, { mode: 0o600, flag: "wx" });
  }
  return path;
}

/** The public key (U…) of the seed in `path`. */
export function seedPublicKey(path: string): string {
  return fromSeed(readSeed(path)).getPublicKey();
}
