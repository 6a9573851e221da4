// State the daemons load at start must be theirs alone to change: a file or
// directory that group or others may write lets anyone on the host rewrite
// what the daemon believes it applied (or swap the file for another).

import { lstatSync } from "node:fs";

export interface StatePath {
  path: string;
  /** what it is, for the message: "agent state directory", "sim state file", … */
  what: string;
  /** what a writer other than the daemon could do, for the message */
  risk: string;
}

/** Why `path` is unsafe to load state from, or undefined when it is safe or does not exist yet (the daemon creates it). */
export function unsafeStateProblem({ path, what, risk }: StatePath): string | undefined {
  let mode: number;
  try {
    mode = lstatSync(path).mode & 0o7777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    return `${what} ${path} cannot be checked (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
  if ((mode & 0o022) === 0) return undefined;
  return `${what} ${path} is writable by group or others (mode ${mode.toString(8).padStart(4, "0")}): whoever writes it ${risk}; chmod go-w ${path} (owner: the user the daemon runs as)`;
}
