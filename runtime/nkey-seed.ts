// nkey user seed files (the per-identity NATS credential): reading one, with
// a check that it holds a user seed, and creating one where there is none.

import { createUser, fromSeed } from "@nats-io/nkeys";
import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export function readSeed(path: string): Uint8Array {
  const seed = readFileSync(path, "utf8").trim();
  if (!/^SU[A-Z2-7]+$/.test(seed)) throw new Error(`${path} does not hold an nkey user seed (SU…)`);
  return new TextEncoder().encode(seed);
}

export interface SeedFileRules {
  /** refuse a file that group or others may read (a host's seed: only its agent may hold it) */
  ownerOnly: boolean;
}

/** Why the seed file at `path` cannot be this daemon's identity, or undefined when it can. */
export function seedFileProblem(path: string, rules: SeedFileRules): string | undefined {
  let mode: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) return `nkey seed file ${path} is not a regular file`;
    mode = st.mode & 0o777;
    accessSync(path, constants.R_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return `nkey seed file ${path} does not exist`;
    return `nkey seed file ${path} cannot be read (${code ?? (e as Error).message})`;
  }
  if (rules.ownerOnly && (mode & 0o077) !== 0) {
    return `nkey seed file ${path} is open to group or others (mode ${mode.toString(8).padStart(4, "0")}): whoever reads it can act as this host; chmod 600 it (owner: the user the daemon runs as)`;
  }
  try {
    readSeed(path);
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
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
