// The DomainCpuidPolicy status a reconcile outcome leads to, and what that
// transition is worth reporting (events, audit-failure metric). Pure: the
// reconciler gathers the facts, this decides what they mean.

import { summariseFindings } from "../../shared/audit/findings-text.ts";
import type { DomainInfo, SetPolicyReply } from "../../shared/schemas/agent-messages.ts";
import type { Condition } from "../../shared/schemas/conditions.ts";
import type { AcceptingHosts, DomainCpuidPolicyStatus, PoolAcceptance } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import type { PoolUnavailableReason } from "../../shared/domain-policy/pool-baseline.ts";
import type { SerialisedPolicyJson } from "../../shared/schemas/policy.ts";
import type { FindingJson } from "../../shared/schemas/finding.ts";
import type { EventSpec } from "../kube/events.ts";
import { findCondition, setCondition, type ConditionUpdate } from "../status/conditions.ts";
import type { AuditedEvaluation } from "../../shared/domain-policy/evaluate.ts";

export const AUDITED = "Audited";
export const APPLIED = "Applied";
export const READY = "Ready";
export const MIGRATABLE = "Migratable";

export const Reason = {
  AuditPassed: "AuditPassed",
  AuditFailed: "AuditFailed",
  HostPolicyChanged: "HostPolicyChanged",
  InvalidPolicy: "InvalidPolicy",
  HostNotFound: "HostNotFound",
  /** Audited=Unknown: spec.pool names no CpuidPool */
  PoolNotFound: "PoolNotFound",
  /** Audited=Unknown: the pool has no level yet */
  PoolNotReady: "PoolNotReady",
  /** Audited=False: the pool is levelled for the other guest type */
  PoolGuestTypeMismatch: "PoolGuestTypeMismatch",
  /** Migratable=True: every member of the pool accepts the effective policy */
  PoolWide: "PoolWide",
  /** Migratable=False: some members of the pool refuse the effective policy */
  NotPoolWide: "NotPoolWide",
  /** Migratable=True: some host besides the policy's own accepts the effective policy */
  OtherHostsAccept: "OtherHostsAccept",
  /** Migratable=False: no other host accepts it */
  NoOtherHost: "NoOtherHost",
  Conflict: "Conflict",
  Applied: "Applied",
  Staged: "Staged",
  NotAudited: "NotAudited",
  HostUnavailable: "HostUnavailable",
  Rejected: "Rejected",
  AgentError: "AgentError",
  Reconnecting: "Reconnecting",
  DuplicateLeaves: "DuplicateLeaves",
  /** Audited=True after a move: the policy carried from the old host fits the new host's guest max */
  MoveSafe: "MoveSafe",
  /** Audited=False after a move: the carried policy does not fit the new host; nothing is sent there */
  MoveUnsafe: "MoveUnsafe",
  /** Audited=Unknown: spec.host changed but the policy the domain had cannot be rebuilt to carry it */
  PolicyNotCarried: "PolicyNotCarried",
} as const;

/**
 * What travels with the domain, written with every outcome of a valid spec:
 * the host the status is about, the request's digest and, after a move, the
 * carried policy (./move.ts).
 */
export interface Travel {
  host: string;
  requestDigest: string;
  carried?: { policyHash: string; policy: SerialisedPolicyJson; from: string };
}

/** What talking to the host's agent gave. */
export type AgentOutcome =
  /** the agent already holds this policy (per the last status); nothing was sent */
  | { kind: "unchanged" }
  | { kind: "reply"; reply: SetPolicyReply; requestId: string }
  /** a `get` refreshed a staged policy's state */
  | { kind: "domain"; info: DomainInfo }
  | { kind: "error"; code: string; message: string }
  /** no responders or timeout */
  | { kind: "unavailable"; message: string }
  /** unanswered while the controller's own NATS connection was down or had just come back: nothing is known against the host */
  | { kind: "transport"; message: string };

export type Outcome =
  | { kind: "host-not-found"; hostId: string; travel: Travel }
  | { kind: "pool-unavailable"; reason: PoolUnavailableReason; message: string }
  | { kind: "invalid-policy"; message: string }
  /** an older DomainCpuidPolicy governs the same domain */
  | { kind: "conflict"; host: string; domain: string; owner: string; travel: Travel }
  /** a move whose policy cannot be carried: the previous status stays, to retry */
  | { kind: "not-carried"; message: string }
  | { kind: "audited"; evaluation: AuditedEvaluation; agent?: AgentOutcome; travel: Travel; accepting?: Acceptance };

/** Where else the effective policy could run (status.acceptingHosts, status.poolAcceptance, condition Migratable). */
export interface Acceptance {
  hosts: AcceptingHosts;
  /** accepting hosts other than the policy's own */
  others: number;
  /** baseline pool */
  pool?: PoolAcceptance;
}

export interface StatusDecision {
  status: DomainCpuidPolicyStatus;
  events: EventSpec[];
  /** reason label for cpuid_audit_failures_total, when this transition is a new audit failure */
  auditFailure?: string;
  /** the host did not take the policy (yet): retry with backoff */
  retry: boolean;
}

interface Ctx {
  generation: number;
  previous: DomainCpuidPolicyStatus;
  now: Date;
  conditions: Condition[];
}

function set(ctx: Ctx, update: ConditionUpdate): void {
  ctx.conditions = setCondition(ctx.conditions, update, ctx.generation, ctx.now);
}

function setReady(ctx: Ctx): void {
  const audited = findCondition(ctx.conditions, AUDITED);
  const applied = findCondition(ctx.conditions, APPLIED);
  if (audited?.status === "True" && applied?.status === "True") {
    set(ctx, { type: READY, status: "True", reason: applied.reason, message: applied.message });
    return;
  }
  const blocking = audited?.status !== "True" ? audited : applied;
  set(ctx, {
    type: READY,
    status: blocking?.status === "Unknown" ? "Unknown" : "False",
    reason: blocking?.reason ?? Reason.NotAudited,
    message: blocking?.message ?? "",
  });
}

export function decideStatus(
  previousStatus: DomainCpuidPolicyStatus | undefined,
  generation: number,
  outcome: Outcome,
  now: Date,
): StatusDecision {
  const previous = previousStatus ?? {};
  const ctx: Ctx = { generation, previous, now, conditions: [...(previous.conditions ?? [])] };
  switch (outcome.kind) {
    case "host-not-found":
      return unresolved(ctx, Reason.HostNotFound, `host ${outcome.hostId} has not published policies to the cpuid-hosts bucket`, outcome.travel);
    case "not-carried":
      return notCarried(ctx, outcome.message);
    case "pool-unavailable":
      return outcome.reason === "PoolGuestTypeMismatch" ? invalidPolicy(ctx, outcome.message, Reason.PoolGuestTypeMismatch, "spec.pool is levelled for the other guest type") : unresolved(ctx, Reason[outcome.reason], outcome.message);
    case "invalid-policy":
      return invalidPolicy(ctx, outcome.message);
    case "conflict":
      return conflict(ctx, `domain ${outcome.domain} on host ${outcome.host} is governed by the older DomainCpuidPolicy ${outcome.owner}`, outcome.travel);
    case "audited": {
      // what the old host confirmed says nothing about the new one
      if (previous.host !== undefined && previous.host !== outcome.travel.host) ctx.previous = { ...previous, appliedHash: undefined, activation: undefined, domainState: undefined, lastRequestId: undefined };
      const facts: AuditFacts = { ev: outcome.evaluation, travel: outcome.travel, accepting: outcome.accepting };
      const decision = outcome.evaluation.findings.length > 0 ? auditFailed(ctx, facts) : auditPassed(ctx, facts, outcome.agent ?? { kind: "unchanged" });
      // Xen merges repeated leaves (the last wins); said once per generation
      if (outcome.evaluation.warnings.length > 0 && previous.observedGeneration !== generation) {
        decision.events.push({ type: "Warning", reason: Reason.DuplicateLeaves, action: "Audit", note: truncateNote(`spec.policy: ${outcome.evaluation.warnings.join("; ")}`) });
      }
      return decision;
    }
  }
}

/** Nothing could be audited: Audited and Applied Unknown, earlier results dropped (but a carried policy). */
function unresolved(ctx: Ctx, reason: string, message: string, travel?: Travel): StatusDecision {
  set(ctx, { type: AUDITED, status: "Unknown", reason, message });
  set(ctx, { type: APPLIED, status: "Unknown", reason, message });
  set(ctx, { type: MIGRATABLE, status: "Unknown", reason, message });
  setReady(ctx);
  return { status: keepHostState(ctx, travelFields(travel)), events: [], retry: false };
}

/** A move waits for its policy: everything recorded about the old host stays, so the next reconcile can carry it. */
function notCarried(ctx: Ctx, message: string): StatusDecision {
  const wasReported = findCondition(ctx.previous.conditions, AUDITED)?.reason === Reason.PolicyNotCarried && ctx.previous.observedGeneration === ctx.generation;
  set(ctx, { type: AUDITED, status: "Unknown", reason: Reason.PolicyNotCarried, message });
  setReady(ctx);
  return {
    status: compact({ ...ctx.previous, observedGeneration: ctx.generation, conditions: ctx.conditions }),
    events: wasReported ? [] : [{ type: "Warning", reason: Reason.PolicyNotCarried, action: "Audit", note: truncateNote(message) }],
    retry: true,
  };
}

/** Another policy governs the domain: nothing is sent, and this one says so once. */
function conflict(ctx: Ctx, message: string, travel: Travel): StatusDecision {
  const wasConflict = findCondition(ctx.previous.conditions, APPLIED)?.reason === Reason.Conflict;
  set(ctx, { type: AUDITED, status: "Unknown", reason: Reason.Conflict, message });
  set(ctx, { type: APPLIED, status: "False", reason: Reason.Conflict, message });
  set(ctx, { type: MIGRATABLE, status: "Unknown", reason: Reason.Conflict, message });
  setReady(ctx);
  return {
    status: keepHostState(ctx, travelFields(travel)),
    events: wasConflict ? [] : [{ type: "Warning", reason: Reason.Conflict, action: "Apply", note: message }],
    retry: false,
  };
}

/** The spec cannot be built: spec.policy is invalid, or spec.pool is levelled for the other guest type. */
function invalidPolicy(ctx: Ctx, message: string, reason: string = Reason.InvalidPolicy, why = "spec.policy is invalid"): StatusDecision {
  const wasInvalid = findCondition(ctx.previous.conditions, AUDITED)?.reason === reason && ctx.previous.observedGeneration === ctx.generation;
  set(ctx, { type: AUDITED, status: "False", reason, message });
  set(ctx, { type: APPLIED, status: "False", reason: Reason.NotAudited, message: `not sent to the host: ${why}` });
  set(ctx, { type: MIGRATABLE, status: "Unknown", reason, message });
  setReady(ctx);
  return {
    status: keepHostState(ctx, {}),
    events: wasInvalid ? [] : [{ type: "Warning", reason, action: "Audit", note: message }],
    ...(wasInvalid ? {} : { auditFailure: reason }),
    retry: false,
  };
}

interface AuditFacts {
  ev: AuditedEvaluation;
  travel: Travel;
  accepting?: Acceptance;
}

function setMigratable(ctx: Ctx, accepting: Acceptance | undefined): void {
  const pool = accepting?.pool;
  if (pool) {
    const refusing = pool.refusing.length ? `; refusing: ${pool.refusing.join(", ")}${pool.members - pool.count > pool.refusing.length ? ", …" : ""}` : "";
    if (pool.members > 0 && pool.count === pool.members) {
      set(ctx, { type: MIGRATABLE, status: "True", reason: Reason.PoolWide, message: `all ${pool.members} members of CpuidPool ${pool.pool} accept the effective policy` });
    } else {
      set(ctx, { type: MIGRATABLE, status: "False", reason: Reason.NotPoolWide, message: `${pool.count} of the ${pool.members} members of CpuidPool ${pool.pool} accept the effective policy${refusing}` });
    }
    return;
  }
  if (!accepting) return;
  set(
    ctx,
    accepting.others > 0
      ? { type: MIGRATABLE, status: "True", reason: Reason.OtherHostsAccept, message: `${accepting.others} other host${accepting.others === 1 ? " accepts" : "s accept"} the effective policy` }
      : { type: MIGRATABLE, status: "False", reason: Reason.NoOtherHost, message: "no other published host accepts the effective policy" },
  );
}

function auditFailed(ctx: Ctx, facts: AuditFacts): StatusDecision {
  const { ev, travel } = facts;
  const prevAudited = findCondition(ctx.previous.conditions, AUDITED);
  // The same spec passed before (or already failed because the host changed)
  // and fails now against a different max: the host's policy moved. (The
  // requested policy itself may differ too, as baselines follow the host.)
  const hostChanged =
    ctx.previous.observedGeneration === ctx.generation &&
    ((prevAudited?.status === "True" && ctx.previous.hostPolicyHash !== ev.maxHash) || prevAudited?.reason === Reason.HostPolicyChanged);
  const moved = travel.carried !== undefined;
  const reason = moved ? Reason.MoveUnsafe : hostChanged ? Reason.HostPolicyChanged : Reason.AuditFailed;
  const summary = summariseFindings(ev.findings);
  const message = moved
    ? `unsafe to move: the policy the domain brought from ${travel.carried!.from} does not fit ${travel.host}'s guest max (${ev.maxHash}); nothing was sent there; ${summary}`
    : hostChanged
      ? `the host's guest max changed (now ${ev.maxHash}) and no longer admits this policy; ${summary}`
      : summary;
  set(ctx, { type: AUDITED, status: "False", reason, message });

  // What the agent holds stays on the host: a domain keeps the policy it was given.
  const prevApplied = findCondition(ctx.previous.conditions, APPLIED);
  const sameHost = ctx.previous.host === undefined || ctx.previous.host === travel.host;
  const stillOnHost = sameHost && prevApplied?.status === "True" && (hostChanged || ctx.previous.appliedHash === ev.policyHash);
  if (!stillOnHost) {
    set(ctx, { type: APPLIED, status: "False", reason: Reason.NotAudited, message: `not sent to ${travel.host}: the audit failed` });
  }
  setMigratable(ctx, facts.accepting);
  setReady(ctx);

  const alreadyReported =
    prevAudited?.status === "False" &&
    prevAudited.reason === reason &&
    ctx.previous.policyHash === ev.policyHash &&
    ctx.previous.hostPolicyHash === ev.maxHash;
  return {
    status: withEvaluation(ctx, facts, ev.findings),
    events: alreadyReported ? [] : [{ type: "Warning", reason, action: "Audit", note: truncateNote(message) }],
    ...(alreadyReported ? {} : { auditFailure: reason }),
    retry: false,
  };
}

function auditPassed(ctx: Ctx, facts: AuditFacts, agent: AgentOutcome): StatusDecision {
  const { ev, travel } = facts;
  const versusDefault = `${ev.added.length} features added and ${ev.removed.length} removed versus the host default`;
  set(ctx, {
    type: AUDITED,
    status: "True",
    reason: travel.carried ? Reason.MoveSafe : Reason.AuditPassed,
    message: travel.carried
      ? `safe to move: the policy the domain brought from ${travel.carried.from} fits ${travel.host}'s guest max (${ev.maxHash}); ${versusDefault}`
      : `fits ${ev.pool ? `the level of CpuidPool ${ev.pool.name} (${ev.pool.levelHash}) and ` : ""}the host's guest max (${ev.maxHash}); ${versusDefault}`,
  });
  const events: EventSpec[] = [];
  let retry = false;
  let host: HostState = { appliedHash: ctx.previous.appliedHash, activation: ctx.previous.activation, domainState: ctx.previous.domainState, lastRequestId: ctx.previous.lastRequestId };
  let findings: readonly FindingJson[] = [];
  let auditFailure: string | undefined;
  const prevApplied = findCondition(ctx.previous.conditions, APPLIED);

  switch (agent.kind) {
    case "unchanged":
      break;
    case "reply": {
      const { reply } = agent;
      host = { ...host, lastRequestId: agent.requestId, domainState: reply.domainState };
      if (reply.result === "rejected") {
        findings = reply.findings;
        const message = `the host's agent rejected the policy against its current max (${reply.maxHash}): ${summariseFindings(reply.findings)}`;
        set(ctx, { type: APPLIED, status: "False", reason: Reason.Rejected, message });
        if (prevApplied?.reason !== Reason.Rejected) {
          events.push({ type: "Warning", reason: Reason.Rejected, action: "Apply", note: truncateNote(message) });
          auditFailure = Reason.Rejected;
        }
        retry = true;
        break;
      }
      const staged = reply.result === "staged";
      host = { ...host, appliedHash: reply.policyHash, activation: staged ? "Staged" : "Active" };
      const message = staged
        ? `staged on ${reply.hostId}: domain ${reply.domain} is ${reply.domainState}; the policy takes effect at its next start`
        : `applied on ${reply.hostId} to domain ${reply.domain}`;
      set(ctx, { type: APPLIED, status: "True", reason: staged ? Reason.Staged : Reason.Applied, message });
      if (ctx.previous.appliedHash !== reply.policyHash || ctx.previous.activation !== host.activation) {
        events.push({ type: "Normal", reason: staged ? Reason.Staged : Reason.Applied, action: "Apply", note: message });
      }
      break;
    }
    case "domain": {
      const { info } = agent;
      host = { ...host, domainState: info.state };
      if (info.activeHash === ev.policyHash && ctx.previous.activation !== "Active") {
        host.activation = "Active";
        const message = `active on domain ${info.domain}: it started with the staged policy`;
        set(ctx, { type: APPLIED, status: "True", reason: Reason.Applied, message });
        events.push({ type: "Normal", reason: Reason.Applied, action: "Activate", note: message });
      }
      break;
    }
    case "error": {
      const message = `the host's agent refused the request (${agent.code}): ${agent.message}`;
      set(ctx, { type: APPLIED, status: "False", reason: Reason.AgentError, message });
      if (prevApplied?.reason !== Reason.AgentError) events.push({ type: "Warning", reason: Reason.AgentError, action: "Apply", note: truncateNote(message) });
      retry = true;
      break;
    }
    case "unavailable": {
      set(ctx, { type: APPLIED, status: "False", reason: Reason.HostUnavailable, message: agent.message });
      if (prevApplied?.reason !== Reason.HostUnavailable) events.push({ type: "Warning", reason: Reason.HostUnavailable, action: "Apply", note: agent.message });
      retry = true;
      break;
    }
    case "transport": {
      // what the host had stays as it was; only a policy it does not hold yet is in doubt
      if (ctx.previous.appliedHash !== ev.policyHash || !prevApplied) {
        const message = `not confirmed by the host yet: the controller's NATS connection dropped and is coming back (${agent.message})`;
        set(ctx, { type: APPLIED, status: "Unknown", reason: Reason.Reconnecting, message });
        host.activation = "Pending";
      }
      retry = true;
      break;
    }
  }
  if (host.appliedHash !== ev.policyHash && (agent.kind === "unavailable" || agent.kind === "error")) host.activation = "Pending";
  setMigratable(ctx, facts.accepting);
  setReady(ctx);
  return { status: withEvaluation(ctx, facts, findings, host), events, ...(auditFailure ? { auditFailure } : {}), retry };
}

interface HostState {
  appliedHash?: string;
  activation?: DomainCpuidPolicyStatus["activation"];
  domainState?: string;
  lastRequestId?: string;
}

function keepHostState(ctx: Ctx, extra: DomainCpuidPolicyStatus): DomainCpuidPolicyStatus {
  const { appliedHash, activation, domainState, lastRequestId } = ctx.previous;
  return compact({ observedGeneration: ctx.generation, conditions: ctx.conditions, ...extra, appliedHash, activation, domainState, lastRequestId });
}

function travelFields(travel: Travel | undefined): DomainCpuidPolicyStatus {
  if (!travel) return {};
  const { carried } = travel;
  return { host: travel.host, requestDigest: travel.requestDigest, ...(carried ? { policyHash: carried.policyHash, carriedPolicy: carried.policy, movedFrom: carried.from } : {}) };
}

function withEvaluation(
  ctx: Ctx,
  facts: AuditFacts,
  findings: readonly FindingJson[],
  host: HostState = { appliedHash: ctx.previous.appliedHash, activation: ctx.previous.activation, domainState: ctx.previous.domainState, lastRequestId: ctx.previous.lastRequestId },
): DomainCpuidPolicyStatus {
  const { ev } = facts;
  return compact({
    observedGeneration: ctx.generation,
    conditions: ctx.conditions,
    findings: findings.length ? [...findings] : undefined,
    policyHash: ev.policyHash,
    featureset: ev.featureset,
    addedFeatures: ev.added,
    removedFeatures: ev.removed,
    hostPolicyHash: ev.maxHash,
    ...host,
    ...travelFields(facts.travel),
    acceptingHosts: facts.accepting?.hosts,
    poolAcceptance: facts.accepting?.pool,
  });
}

function compact(status: DomainCpuidPolicyStatus): DomainCpuidPolicyStatus {
  return Object.fromEntries(Object.entries(status).filter(([, v]) => v !== undefined));
}

const MAX_NOTE = 1024;

function truncateNote(note: string): string {
  return note.length <= MAX_NOTE ? note : `${note.slice(0, MAX_NOTE - 1)}…`;
}
