// The contract every `cpuidctl <group> <verb>` command fulfils. A command lives
// in cli/commands/ and is listed in the command table of cli/cpuidctl.ts.

import type { KubeTarget } from "./kube-target.ts";

export interface Command {
  /** one line for `cpuidctl --help` */
  summary: string;
  /** full usage text for `cpuidctl <group> <verb> --help` */
  usage: string;
  /** returns the process exit code; `kube` holds kubectl's global flags, for the commands that talk to Kubernetes */
  run(args: string[], kube: KubeTarget): Promise<number>;
}

/** Exit codes shared by all commands (audit: 0 clean, 1 findings, 2 bad input). */
export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_BAD_INPUT = 2;

/** An error whose message is meant for the user as-is (exit 2, no stack). */
export class UsageError extends Error {
  override name = "UsageError";
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
