// Plain-data inputs for the DomainCpuidPolicy status decision tests: an
// audited evaluation, an agent's reply, and condition lookup.

import type { AgentOutcome, Outcome } from "../../../controller/domain-policy/status.ts";
import { emptyPolicy } from "../../../shared/policy/cpu-policy.ts";
import type { SetPolicyReply } from "../../../shared/schemas/agent-messages.ts";
import type { DomainCpuidPolicyStatus } from "../../../shared/api/v1alpha1/domain-cpuid-policy.ts";

export type Evaluation = Extract<Outcome, { kind: "audited" }>["evaluation"];

export const t0 = new Date("2026-11-26T10:00:00Z");
export const t1 = new Date("2026-11-26T10:01:00Z");
export const t2 = new Date("2026-11-26T10:02:00Z");

export function evaluation(over: Partial<Evaluation> = {}): Evaluation {
  return {
    kind: "audited",
    requested: emptyPolicy(),
    policyHash: "sha256:p1",
    featureset: "00000000:".repeat(18) + "00000000",
    added: ["avx512f"],
    removed: [],
    findings: [],
    maxHash: "sha256:max1",
    warnings: [],
    ...over,
  };
}

/** Where a policy is and what its spec asks besides the host (./status.ts Travel). */
export const TRAVEL = { host: "h1", requestDigest: "sha256:r1" };

export const finding = { code: "feature-not-in-max", features: ["avx512f"], message: "avx512f is not in the host's hvm max policy" };

export function reply(result: SetPolicyReply["result"], over: Partial<SetPolicyReply> = {}): AgentOutcome {
  return {
    kind: "reply",
    requestId: "r1",
    reply: {
      ok: true,
      hostId: "h1",
      domain: "vm1",
      requestId: "r1",
      result,
      policyHash: "sha256:p1",
      domainState: result === "staged" ? "running" : "paused",
      maxHash: "sha256:max1",
      findings: result === "rejected" ? [finding] : [],
      duplicate: false,
      message: "",
      ...over,
    },
  };
}

export const cond = (s: DomainCpuidPolicyStatus, type: string) => s.conditions?.find((c) => c.type === type);
