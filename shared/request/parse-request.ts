// Reading a request document (already decoded from JSON or YAML) into either a
// feature request or a full serialised policy, with errors a person can fix.

import type { z } from "zod";
import { FeatureRequestJson } from "../schemas/request.ts";
import { SerialisedPolicyJson } from "../schemas/policy.ts";
import { policyFromJson } from "../policy/policy-json.ts";
import type { SerialisedPolicy } from "../policy/serialise.ts";
import { RequestError } from "./request-error.ts";

export type PolicyRequest =
  | { kind: "features"; baseline: "default" | "max"; enable: string[]; disable: string[] }
  /** stands alone: leaves it does not list are zero */
  | { kind: "policy"; policy: SerialisedPolicy };

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join(".") : "request"}: ${i.message}`).join("; ");
}

/** A document with "leaves" is a full policy; anything else must be a feature request. */
export function parseRequest(value: unknown): PolicyRequest {
  if (typeof value === "object" && value !== null && "leaves" in value) {
    const r = SerialisedPolicyJson.safeParse(value);
    if (!r.success) throw new RequestError(`invalid serialised policy: ${describeIssues(r.error)}`);
    return { kind: "policy", policy: policyFromJson(r.data) };
  }
  if (typeof value === "object" && value !== null && "policies" in value) {
    throw new RequestError('this is a whole `policy derive`/`policy show` document; give one of its policies (e.g. jq .policies.hvm_default)');
  }
  const r = FeatureRequestJson.safeParse(value);
  if (!r.success) throw new RequestError(`invalid request: ${describeIssues(r.error)}`);
  return { kind: "features", ...r.data };
}
