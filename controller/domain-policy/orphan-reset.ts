// What happens to a domain when no DomainCpuidPolicy governs it any more
// (the policy was deleted, or retargeted to another host or domain): it goes
// back to its host's default policy for its guest type.
//
// There is no finalizer, so deletion costs the apiserver no extra write per
// policy; instead the reset is level-triggered from the hosts' side. Each
// agent records, per domain, the uid of the resource whose request set its
// policy. A sweep of one host lists its domains and resets every domain whose
// policy came from a resource and which no DomainCpuidPolicy now names,
// unless it already runs (or has staged) the host default. A running domain
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

export class OrphanReset {
  readonly #d: OrphanResetDeps;
  readonly #deleted = new Map<string, DomainCpuidPolicyObject>();

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
    let retry = false;
    for (const domain of listed.value) {
      const guestType = domain.guestType;
      if (!domain.resourceUid || !guestType || this.#d.policies.owner(hostId, domain.domain) !== undefined) continue;
      if (!defaults.has(guestType)) defaults.set(guestType, this.#hostDefault(host.record, guestType));
      const target = defaults.get(guestType);
      if (!target || (domain.stagedHash ?? domain.activeHash) === target.policyHash) continue;
      retry = (await this.#reset(hostId, domain, guestType, target)) === "retry" || retry;
    }
    if (retry) return { requeue: "backoff" };
  }

  #hostDefault(record: HostRecord, guestType: GuestType): AuditedEvaluation | undefined {
    const evaluation = this.#d.evaluations.evaluate({ host: record.hostId, domain: "-", guestType, baseline: "default", enable: [], disable: [] }, record);
    return evaluation.kind === "audited" ? evaluation : undefined;
  }

  async #reset(hostId: string, domain: DomainInfoSummary, guestType: GuestType, target: AuditedEvaluation): Promise<"done" | "retry"> {
    const resourceUid = domain.resourceUid!;
    const r = await this.#d.agents.set({
      hostId,
      domain: domain.domain,
      guestType,
      policy: this.#d.evaluations.wireForm(target.requested),
      policyHash: target.policyHash,
      requestId: `${resourceUid}/reset`,
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


