// Argument handling for every cpuidctl command.

import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./command.ts";
import type { GuestType } from "../shared/featureset/masks.ts";
import { DEFAULT_RELEASE, releaseModel, type ReleaseName } from "../shared/derive/release.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** node:util parseArgs, with its errors (unknown option, missing value) turned into usage errors. */
export function parseCommandArgs<O extends Options>(args: string[], options: O, usage: string) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n\n${usage}`);
  }
}

export function guestType(value: string | undefined, usage: string): GuestType {
  if (value === "pv" || value === "hvm") return value;
  throw new UsageError(value === undefined ? `--guest pv|hvm is required\n\n${usage}` : `--guest must be pv or hvm, not "${value}"`);
}

/** `--xen-version` of the deriving commands: a modelled Xen release, master by default. */
export function xenRelease(value: string | undefined): ReleaseName {
  try {
    return releaseModel(value ?? DEFAULT_RELEASE).name;
  } catch (e) {
    throw new UsageError(`--xen-version: ${(e as Error).message}`);
  }
}

export const XEN_RELEASE_USAGE = `  --xen-version <release>
                    the Xen release whose derivation rules to emulate: 4.17 (the
                    stable-4.17 branch) or master (default)`;

export function jsonOrText(value: string | undefined): "json" | "text" {
  if (value === undefined || value === "text") return "text";
  if (value === "json") return "json";
  throw new UsageError(`-o must be json or text, not "${value}"`);
}
