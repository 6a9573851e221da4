// Whether a reconcile that passed the audit needs to talk to the host's
// agent, and how. Pure.

import type { DomainCpuidPolicyStatus } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { findCondition } from "../status/conditions.ts";
import { APPLIED } from "./status.ts";

export type AgentAction =
  /** the agent confirmed this exact policy, for this generation of the spec, and it is active: nothing to do */
  | "none"
  /** staged earlier: ask whether the domain has started with it since */
  | "refresh"
  | "set";

/**
 * A new generation always goes to the agent, even with an unchanged policy
 * hash: the spec may now name another host or domain (the agent answers a
 * repeat of what a domain already has as a cheap duplicate).
 */
export function agentAction(previous: DomainCpuidPolicyStatus | undefined, generation: number, policyHash: string): AgentAction {
  const applied = findCondition(previous?.conditions, APPLIED);
  if (applied?.status !== "True" || previous?.observedGeneration !== generation || previous.appliedHash !== policyHash) return "set";
  return previous.activation === "Staged" ? "refresh" : "none";
}
