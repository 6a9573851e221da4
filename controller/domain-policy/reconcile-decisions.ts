// The decisions of one DomainCpuidPolicy reconcile (./reconciler.ts), apart
// from the reads of the indexes and the calls to the agent and the API server
// around them. Pure: plain data in, plain data out.

import { isDeepStrictEqual } from "node:util";
import { ACCEPTING_HOSTS_LISTED, type DomainCpuidPolicyObject, type DomainCpuidPolicySpec, type DomainCpuidPolicyStatus } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { requestDigest } from "../../shared/domain-policy/effective-policy.ts";
import type { PoolBaseline } from "../../shared/domain-policy/pool-baseline.ts";
import type { CpuPolicy } from "../../shared/policy/cpu-policy.ts";
import type { RolloutLayer } from "../../shared/rollout/layer.ts";
import type { DomainInfo, SetPolicyRequest } from "../../shared/schemas/agent-messages.ts";
import type { SerialisedPolicyJson } from "../../shared/schemas/policy.ts";
import type { AgentResult } from "../agent-client.ts";
import type { HandlerResult } from "../runtime/work-queue.ts";
import type { PolicySource } from "./move.ts";
import { policyRequestId } from "./request-id.ts";
import type { Acceptance, AgentOutcome, Outcome, StatusDecision, Travel } from "./status.ts";

/** An invalid spec's issues as the status message: `spec.<path>: <message>`, joined by "; ". */
export function specIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues.map((i) => `spec.${i.path.join(".")}: ${i.message}`).join("; ");
}

/** The CpuidPool a spec builds from, if it builds from one. */
export function poolOf(spec: DomainCpuidPolicySpec): string | undefined {
  return spec.baseline === "pool" ? spec.pool : undefined;
}

/** What the status records about where the policy is and what it asks for, with the carried policy after a move. */
export function travelOf(spec: DomainCpuidPolicySpec, source: Exclude<PolicySource, { kind: "unknown" }>, wire: (policy: CpuPolicy) => SerialisedPolicyJson): Travel {
  return {
    host: spec.host,
    requestDigest: requestDigest(spec),
    ...(source.kind === "carry" ? { carried: { policyHash: source.hash, policy: wire(source.policy), from: source.from } } : {}),
  };
}

/** Whether another DomainCpuidPolicy (`owner`, a namespace/name key) governs the domain this one (`key`) names. */
export function ownedByAnother(owner: string | undefined, key: string): owner is string {
  return owner !== undefined && owner !== key;
}

/**
 * Where else the effective policy could run, from the sorted names of the
 * hosts that accept it: how many besides the policy's own host and, for a
 * pool baseline, which members accept and refuse it.
 */
export function acceptance(acceptingSorted: readonly string[], host: string, pool: PoolBaseline | undefined): Acceptance {
  const hosts = { count: acceptingSorted.length, hosts: acceptingSorted.slice(0, ACCEPTING_HOSTS_LISTED) };
  const others = acceptingSorted.length - (sortedIncludes(acceptingSorted, host) ? 1 : 0);
  if (pool?.kind !== "level") return { hosts, others };
  const accepted = pool.members.filter((m) => sortedIncludes(acceptingSorted, m));
  const refusing = pool.members.filter((m) => !sortedIncludes(acceptingSorted, m));
  return {
    hosts,
    others,
    pool: {
      pool: pool.pool,
      levelHash: pool.hash,
      members: pool.members.length,
      count: accepted.length,
      hosts: accepted.slice(0, ACCEPTING_HOSTS_LISTED),
      refusing: refusing.slice(0, ACCEPTING_HOSTS_LISTED),
    },
  };
}

function sortedIncludes(sorted: readonly string[], value: string): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return sorted[lo] === value;
}

/** Whether the agent's record of the domain still holds the policy, active or staged (else it is sent again). */
export function agentHolds(info: DomainInfo, policyHash: string): boolean {
  return info.activeHash === policyHash || info.stagedHash === policyHash;
}

/** The set request for an audited policy of this generation of the object. */
export function setRequest(
  meta: DomainCpuidPolicyObject["metadata"],
  spec: DomainCpuidPolicySpec,
  generation: number,
  policyHash: string,
  policy: SerialisedPolicyJson,
): SetPolicyRequest {
  return {
    hostId: spec.host,
    domain: spec.domain,
    guestType: spec.guestType,
    policy,
    policyHash,
    requestId: policyRequestId(meta.uid, generation, policyHash),
    generation,
    ...(meta.uid ? { resourceUid: meta.uid } : {}),
  };
}

/**
 * Whether the object was deleted, recreated or changed while a request about
 * it was in flight: the host's reset sweep that followed may have listed the
 * domain before the request landed, so the host is swept again.
 */
export function changedInFlight(sent: DomainCpuidPolicyObject["metadata"], current: DomainCpuidPolicyObject["metadata"] | undefined): boolean {
  return current?.uid !== sent.uid || current?.generation !== sent.generation;
}

/**
 * An agent request that failed: an unanswered one counts against the host
 * only when `hostBlamed` (the controller's own NATS connection was up
 * throughout); otherwise it is a transport blip.
 */
export function agentFailure(r: Exclude<AgentResult<unknown>, { kind: "ok" }>, hostBlamed: boolean): AgentOutcome {
  if (r.kind === "unavailable" && !hostBlamed) return { kind: "transport", message: r.message };
  return r;
}

/**
 * The decided status with the rollouts whose layers the effective request
 * carries (how a rollout tells its wave has reached the policy); none for
 * an invalid spec, which carries nothing.
 */
export function withRollouts(status: DomainCpuidPolicyStatus, layers: readonly RolloutLayer[], outcome: Outcome["kind"]): DomainCpuidPolicyStatus {
  const { rollouts: _, ...rest } = status;
  return layers.length > 0 && outcome !== "invalid-policy" ? { ...rest, rollouts: layers.map((l) => l.rollout) } : rest;
}

/** Whether the status differs from the one the object has (an absent status is an empty one). */
export function statusChanged(status: DomainCpuidPolicyStatus, previous: DomainCpuidPolicyStatus | undefined): boolean {
  return !isDeepStrictEqual(status, previous ?? {});
}

/** When to reconcile again: with backoff while the host has not taken the policy, after the refresh period while it is staged. */
export function requeueOf(decision: Pick<StatusDecision, "retry" | "status">, stagedRefreshMs: number): HandlerResult {
  if (decision.retry) return { requeue: "backoff" };
  if (decision.status.activation === "Staged") return { requeueAfterMs: stagedRefreshMs };
}
