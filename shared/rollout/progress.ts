// Where one planned policy stands in a rollout, read from its
// DomainCpuidPolicy status (which names the rollouts whose layer its
// effective policy carries). Forward: done when audited and applied (Staged
// counts as done: the host holds it for the domain's next start); failed when
// the audit fails or the host's agent refuses. Back (rollback): done once the
// status no longer carries the rollout. Pure.

import type { DomainCpuidPolicyObject } from "../api/v1alpha1/domain-cpuid-policy.ts";
import type { Condition } from "../schemas/conditions.ts";

export type Outcome = "applied" | "staged" | "failed" | "progressing" | "deleted" | "reverted";

const condition = (obj: DomainCpuidPolicyObject, type: string): Condition | undefined => obj.status?.conditions?.find((c) => c.type === type);

/** Whether the status describes the current spec and names this rollout's layer as part of it. */
function current(obj: DomainCpuidPolicyObject): boolean {
  return obj.status?.observedGeneration === obj.metadata.generation;
}

export function forwardOutcome(obj: DomainCpuidPolicyObject | undefined, rollout: string): Outcome {
  if (!obj) return "deleted";
  if (!current(obj) || !obj.status?.rollouts?.includes(rollout)) return "progressing";
  const audited = condition(obj, "Audited");
  const applied = condition(obj, "Applied");
  if (audited?.status === "False") return "failed";
  if (applied?.status === "False" && (applied.reason === "Rejected" || applied.reason === "AgentError")) return "failed";
  if (audited?.status === "True" && applied?.status === "True") return obj.status.activation === "Staged" ? "staged" : "applied";
  return "progressing";
}

export function backOutcome(obj: DomainCpuidPolicyObject | undefined, rollout: string): Outcome {
  if (!obj) return "deleted";
  if (!current(obj) || (obj.status?.rollouts ?? []).includes(rollout)) return "progressing";
  return "reverted";
}
