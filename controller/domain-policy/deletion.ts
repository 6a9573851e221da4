// What deleting a DomainCpuidPolicy does to its domain.
//
// A domain without a DomainCpuidPolicy gets its host's default policy for its
// guest type, so deletion means "back to the default": the finalizer sends
// the host default to the agent, which stages it for a running domain (a
// running domain keeps the CPUID it booted with; Xen fixes it at first
// unpause) or applies it to one not yet started, replacing any staged policy.
// Nothing is sent when no policy was ever applied, when another (older)
// DomainCpuidPolicy governs the domain, or when the host has left the
// cpuid-hosts bucket. An unreachable host is retried with backoff for the
// deletion grace period; after that the finalizer is released anyway with a
// Warning event, so a dead host cannot block deletion forever.

import type { Logger } from "pino";
import { serialisePolicy } from "../../shared/policy/serialise.ts";
import { DomainCpuidPolicySpec } from "../../shared/schemas/domain-cpuid-policy.ts";
import { policyToJson } from "../../shared/schemas/policy.ts";
import type { AgentClient } from "../agent-client.ts";
import type { HostIndex } from "../hosts/host-index.ts";
import type { EventRecorder } from "../kube/events.ts";
import { httpStatusOf, type ObjectWriter } from "../kube/object-writer.ts";
import { DOMAIN_POLICY_FINALIZER, objectKey, type DomainCpuidPolicyObject } from "../kube/resources.ts";
import type { HandlerResult } from "../runtime/work-queue.ts";
import { evaluateDomainPolicy } from "./evaluate.ts";
import type { PolicyIndex } from "./policy-index.ts";

export interface DomainPolicyDeletionDeps {
  policies: PolicyIndex;
  hosts: HostIndex;
  agents: AgentClient;
  writer: ObjectWriter;
  events: EventRecorder;
  log: Logger;
  deletionGraceMs: number;
}

export class DomainPolicyDeletion {
  readonly #d: DomainPolicyDeletionDeps;

  constructor(deps: DomainPolicyDeletionDeps) {
    this.#d = deps;
  }

  async finalize(obj: DomainCpuidPolicyObject): Promise<HandlerResult> {
    const finalizers = obj.metadata.finalizers ?? [];
    if (!finalizers.includes(DOMAIN_POLICY_FINALIZER)) return;
    const reset = await this.#resetToDefault(obj);
    if (reset === "retry") {
      const since = Date.now() - new Date(obj.metadata.deletionTimestamp!).getTime();
      if (since < this.#d.deletionGraceMs) return { requeue: "backoff" };
      this.#d.events.record(obj, {
        type: "Warning",
        reason: "ResetAbandoned",
        action: "Delete",
        note: `the host did not answer within ${Math.round(this.#d.deletionGraceMs / 1000)} s; the domain keeps its policy on the host`,
      });
    }
    try {
      await this.#d.writer.setDomainFinalizers(
        obj,
        finalizers.filter((f) => f !== DOMAIN_POLICY_FINALIZER),
      );
    } catch (err) {
      if (httpStatusOf(err) !== 404 && httpStatusOf(err) !== 409) throw err;
    }
  }

  async #resetToDefault(obj: DomainCpuidPolicyObject): Promise<"done" | "retry"> {
    const spec = DomainCpuidPolicySpec.safeParse(obj.spec);
    if (!spec.success || !obj.status?.appliedHash) return "done";
    const { host: hostId, domain, guestType } = spec.data;
    const owner = this.#d.policies.owner(hostId, domain);
    if (owner !== undefined && owner !== objectKey(obj.metadata)) return "done";
    const host = this.#d.hosts.get(hostId);
    if (!host) return "done";
    const evaluation = evaluateDomainPolicy({ ...spec.data, baseline: "default", pool: undefined, enable: [], disable: [], policy: undefined }, host.record);
    if (evaluation.kind !== "audited") return "done";
    const r = await this.#d.agents.set({
      hostId,
      domain,
      guestType,
      policy: policyToJson(serialisePolicy(evaluation.requested)),
      policyHash: evaluation.policyHash,
      requestId: `${obj.metadata.uid}/delete`,
      generation: obj.metadata.generation ?? 0,
      ...(obj.metadata.uid ? { resourceUid: obj.metadata.uid } : {}),
    });
    if (r.kind === "unavailable") return "retry";
    const note =
      r.kind === "ok"
        ? `host default ${r.value.result} on ${hostId} for domain ${domain}${r.value.result === "staged" ? " (takes effect at its next start)" : ""}`
        : `the agent refused the reset to the host default (${r.code}): ${r.message}`;
    this.#d.log.info({ host: hostId, domain, note }, "domain policy deleted");
    this.#d.events.record(obj, { type: r.kind === "ok" ? "Normal" : "Warning", reason: "ResetToDefault", action: "Delete", note });
    return "done";
  }
}
