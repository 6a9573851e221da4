// What happens to a domain when no DomainCpuidPolicy governs it any more
// (the policy was deleted, or retargeted to another host or domain): it goes
// back to its host's default policy for its guest type.
//
// There is no finalizer, so deletion costs the apiserver no extra write per
// policy; instead the reset is level-triggered from the hosts' side. Each
// agent records, per domain, the uid of the resource whose request set its
// policy. A sweep of one host lists its domains and resets every domain whose
// policy came from a resource and which no DomainCpuidPolicy now names,
// unless it already runs (or has staged) the host default, or the policy that
// set it now names the same domain on another host (a move not made yet: the
// policy travels with the domain, as in Xen). A domain it cannot
// decide about (see UNDECIDED_WHY) is reported, never skipped silently. A running domain
// gets the default staged (it keeps what it booted with until its next
// start); one not yet started gets it at once, replacing any staged policy.
//
// Sweeps run for a host when a policy on it is deleted or moved away, when
// the host appears or is heard from again, on becoming leader and at every
// resync, so a deletion missed while no replica led, or while the host was
// down, is caught up. An unreachable host is retried with backoff until it
// goes stale; its return triggers the next sweep.

import type { Logger } from "pino";
import type { DomainInfoSummary } from "../../shared/schemas/agent-messages.ts";
import type { GuestType } from "../../shared/schemas/guest.ts";
import type { AgentClient } from "../agent-client.ts";
import type { HostIndex } from "../hosts/host-index.ts";
import type { HostRecord } from "../../shared/hosts/host-record.ts";
import type { EventRecorder } from "../kube/events.ts";
import type { DomainCpuidPolicyObject } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import type { ControllerMetrics } from "../metrics.ts";
import type { HandlerResult } from "../runtime/work-queue.ts";
import type { AuditedEvaluation } from "../../shared/domain-policy/evaluate.ts";
import type { EvaluationCache } from "./evaluation-cache.ts";
import type { PolicyIndex } from "./policy-index.ts";
import { resetRequestId, resourceUidOfRequestId } from "./request-id.ts";

/** Deleted objects remembered to name them in events; the oldest are forgotten first. */
const MAX_REMEMBERED = 10_000;

export interface OrphanResetDeps {
  policies: PolicyIndex;
  hosts: HostIndex;
  agents: AgentClient;
  events: EventRecorder;
  metrics: ControllerMetrics;
  evaluations: EvaluationCache;
  log: Logger;
}

type UndecidedReason = "no-provenance" | "no-guest-type" | "no-host-default";

const UNDECIDED_WHY: Record<UndecidedReason, string> = {
  "no-provenance":
    "a controller request set its policy but the host's record no longer names the resource (written by an agent version that lost it at a domain restart); apply a DomainCpuidPolicy for the domain to take it over",
  "no-guest-type": "the host does not report its guest type, so there is no default to give it",
  "no-host-default": "the host's default policy for its guest type cannot be evaluated",
};

type Verdict =
  | { kind: "leave" }
  | { kind: "reset"; resourceUid: string; guestType: GuestType; target: AuditedEvaluation }
  | { kind: "undecided"; reason: UndecidedReason; resourceUid: string };

export class OrphanReset {
  readonly #d: OrphanResetDeps;
  readonly #deleted = new Map<string, DomainCpuidPolicyObject>();
  /** per host: the domains reported undecided at its last sweep, and why */
  readonly #undecided = new Map<string, Map<string, UndecidedReason>>();

  constructor(deps: OrphanResetDeps) {
    this.#d = deps;
  }

  /** Keeps what names a deleted policy, so that the reset's event can be about it. */
  noteDeleted(obj: DomainCpuidPolicyObject): void {
    const { uid, name, namespace } = obj.metadata;
    if (!uid) return;
    this.#deleted.set(uid, { apiVersion: obj.apiVersion, kind: obj.kind, metadata: { uid, name, namespace }, spec: undefined });
    if (this.#deleted.size > MAX_REMEMBERED) this.#deleted.delete(this.#deleted.keys().next().value!);
  }

  /** One sweep of one host (a work-queue handler keyed by host id). */
  async sweepHost(hostId: string): Promise<HandlerResult> {
    const host = this.#d.hosts.get(hostId);
    if (!host || host.stale) return;
    const listed = await this.#d.agents.domains(hostId);
    if (listed.kind === "unavailable") return { requeue: "backoff" };
    if (listed.kind === "error") {
      this.#d.log.warn({ host: hostId, code: listed.code, err: listed.message }, "could not list the host's domains");
      return { requeue: "backoff" };
    }
    const defaults = new Map<GuestType, AuditedEvaluation | undefined>();
    const hostDefault = (guestType: GuestType) => {
      if (!defaults.has(guestType)) defaults.set(guestType, this.#hostDefault(host.record, guestType));
      return defaults.get(guestType);
    };
    const undecided = new Map<string, UndecidedReason>();
    let retry = false;
    for (const domain of listed.value) {
      const verdict = this.#verdict(hostId, domain, hostDefault);
      if (verdict.kind === "reset") retry = (await this.#reset(hostId, domain, verdict.resourceUid, verdict.guestType, verdict.target)) === "retry" || retry;
      if (verdict.kind === "undecided") {
        undecided.set(domain.domain, verdict.reason);
        this.#reportUndecided(hostId, domain.domain, verdict.reason, verdict.resourceUid);
      }
    }
    this.#undecided.set(hostId, undecided);
    if (retry) return { requeue: "backoff" };
  }

  #verdict(hostId: string, domain: DomainInfoSummary, hostDefault: (g: GuestType) => AuditedEvaluation | undefined): Verdict {
    if (this.#d.policies.owner(hostId, domain.domain) !== undefined) return { kind: "leave" };
    // a record written before provenance was kept through restarts has only the request id
    const resourceUid = domain.resourceUid ?? (domain.lastRequestId ? resourceUidOfRequestId(domain.lastRequestId) : undefined);
    // never configured by this controller (host default, or set directly by an operator): not ours to reset
    if (!resourceUid) return { kind: "leave" };
    // its policy still exists and names this domain on another host: a move the domain has not made (yet, or
    // refused as unsafe); the policy travels with the domain, which keeps it until it leaves
    const live = this.#d.policies.targetOfUid(resourceUid);
    if (live && live.domain === domain.domain && live.host !== hostId) return { kind: "leave" };
    if (!domain.guestType) return { kind: "undecided", reason: "no-guest-type", resourceUid };
    const target = hostDefault(domain.guestType);
    if (!target) return { kind: "undecided", reason: "no-host-default", resourceUid };
    if ((domain.stagedHash ?? domain.activeHash) === target.policyHash) return { kind: "leave" };
    // the agent refuses a reset guarded by a uid its record does not hold, so none is sent
    if (!domain.resourceUid) return { kind: "undecided", reason: "no-provenance", resourceUid };
    return { kind: "reset", resourceUid, guestType: domain.guestType, target };
  }

  /** Log, count and (when the deleted policy is known) an event, once per domain until its reason changes or it is decided. */
  #reportUndecided(hostId: string, domain: string, reason: UndecidedReason, resourceUid: string): void {
    if (this.#undecided.get(hostId)?.get(domain) === reason) return;
    const former = this.#deleted.get(resourceUid);
    const policy = former ? `${former.metadata.namespace}/${former.metadata.name}` : `uid ${resourceUid}`;
    const note = `domain ${domain} on ${hostId} is not reset to the host default: ${UNDECIDED_WHY[reason]}`;
    this.#d.metrics.resetsUndecided.inc({ reason });
    this.#d.log.warn({ host: hostId, domain, policy, reason }, note);
    if (former) this.#d.events.record(former, { type: "Warning", reason: "ResetUndecided", action: "Delete", note });
  }

  #hostDefault(record: HostRecord, guestType: GuestType): AuditedEvaluation | undefined {
    const evaluation = this.#d.evaluations.evaluate({ host: record.hostId, domain: "-", guestType, baseline: "default", enable: [], disable: [] }, record);
    return evaluation.kind === "audited" ? evaluation : undefined;
  }

  async #reset(hostId: string, domain: DomainInfoSummary, resourceUid: string, guestType: GuestType, target: AuditedEvaluation): Promise<"done" | "retry"> {
    const r = await this.#d.agents.set({
      hostId,
      domain: domain.domain,
      guestType,
      policy: this.#d.evaluations.wireForm(target.requested),
      policyHash: target.policyHash,
      requestId: resetRequestId(resourceUid),
      generation: domain.generation ?? 0,
      resourceUid,
      ifResourceUid: resourceUid,
    });
    if (r.kind === "unavailable") return "retry";
    const result = r.kind === "ok" ? r.value.result : r.code;
    this.#d.metrics.domainResets.inc({ result });
    const note =
      r.kind === "ok"
        ? `host default ${r.value.result} on ${hostId} for domain ${domain.domain}${r.value.result === "staged" ? " (takes effect at its next start)" : ""}`
        : `the agent refused the reset of domain ${domain.domain} to the host default (${r.code}): ${r.message}`;
    const former = this.#deleted.get(resourceUid);
    this.#deleted.delete(resourceUid);
    const policy = former ? `${former.metadata.namespace}/${former.metadata.name}` : `uid ${resourceUid}`;
    this.#d.log.info({ host: hostId, domain: domain.domain, policy, result }, "domain no longer governed by a policy: reset to the host default");
    if (former) this.#d.events.record(former, { type: r.kind === "ok" ? "Normal" : "Warning", reason: "ResetToDefault", action: "Delete", note });
    return "done";
  }
}


