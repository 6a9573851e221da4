// The policy a request file asks for on a host, for the commands that take
// --host, --guest and --request.

import { UsageError } from "./command.ts";
import { readRequest } from "./request-file.ts";
import { derivePolicies, readInput, type DeriveChoice } from "./policy-input.ts";
import type { DerivedPolicies } from "../shared/derive/derive.ts";
import type { GuestType } from "../shared/featureset/masks.ts";
import type { CpuPolicy } from "../shared/policy/cpu-policy.ts";
import { duplicateLeafWarnings, PolicyFormatError } from "../shared/policy/serialise.ts";
import { buildRequestedPolicy } from "../shared/request/build-request.ts";
import { RequestError } from "../shared/request/request-error.ts";

/** The options of every command that builds a requested policy on a host. */
export const REQUESTED_POLICY_OPTIONS = {
  host: { type: "string" },
  guest: { type: "string" },
  request: { type: "string" },
  cmdline: { type: "string" },
} as const;

export function requestedPolicy(hostFile: string, requestFile: string, guest: GuestType, choice: DeriveChoice): { host: DerivedPolicies; requested: CpuPolicy } {
  const request = readRequest(requestFile);
  const host = derivePolicies(readInput(hostFile), hostFile, choice);
  if (request.kind === "policy") for (const w of duplicateLeafWarnings(request.policy)) console.error(`cpuidctl: warning: ${requestFile}: ${w}`);
  try {
    return { host, requested: buildRequestedPolicy(host, guest, request) };
  } catch (e) {
    if (e instanceof RequestError || e instanceof PolicyFormatError) throw new UsageError(`${requestFile}: ${e.message}`);
    throw e;
  }
}
