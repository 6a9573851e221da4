// Whether a reconcile that passed the audit needs to talk to the host's
// agent, and how. Pure.

import type { DomainCpuidPolicyStatus } from "../../shared/schemas/domain-cpuid-policy.ts";
import { findCondition } from "../status/conditions.ts";
import { APPLIED } from "./status.ts";

export type AgentAction =
  /** the agent confirmed this exact policy and it is active: nothing to do */
  | "none"
  /** staged earlier: ask whether the domain has started with it since */
  | "refresh"
  | "set";

export function agentAction(previous: DomainCpuidPolicyStatus | undefined, policyHash: string): AgentAction {
  const applied = findCondition(previous?.conditions, APPLIED);
  if (applied?.status !== "True" || previous?.appliedHash !== policyHash) return "set";
  return previous.activation === "Staged" ? "refresh" : "none";
}
