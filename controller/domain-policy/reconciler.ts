// Reconciles one DomainCpuidPolicy: resolve its host → build and audit the
// requested policy (its spec plus the layers of the rollouts that reached it) → push it to the host's agent when clean → write status
// (only when it changed), events and metrics. Level-triggered: everything is
// recomputed from the object, the host index and the agent's answer. This is
// the I/O around the decisions, which are in ./reconcile-decisions.ts and
// ./status.ts. What happens to a domain once no policy governs it:
// ./orphan-reset.ts.

import type { Logger } from "pino";
import { DomainCpuidPolicySpec, type DomainCpuidPolicyObject, type DomainCpuidPolicyStatus } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import type { AgentClient, AgentResult } from "../agent-client.ts";
import type { HostIndex } from "../hosts/host-index.ts";
import type { NatsConnectionStatus } from "../hosts/nats-connection-status.ts";
import type { EventRecorder } from "../kube/events.ts";
import type { ResilientInformer } from "../kube/informer.ts";
import { httpStatusOf } from "../kube/api-error.ts";
import type { ObjectWriter } from "../kube/object-writer.ts";
import { OwnWrites } from "../kube/own-writes.ts";
import { splitKey } from "../kube/resources.ts";
import type { ControllerMetrics } from "../metrics.ts";
import type { HandlerResult } from "../runtime/work-queue.ts";
import { agentAction } from "./agent-action.ts";
import { auditOnHost, type AuditedEvaluation } from "../../shared/domain-policy/evaluate.ts";
import type { BuildOnHost } from "../../shared/domain-policy/effective-policy.ts";
import type { AcceptingHostsIndex } from "./accepting-hosts.ts";
import { policySource } from "./move.ts";
import type { EvaluationCache } from "./evaluation-cache.ts";
import type { PolicyIndex } from "./policy-index.ts";
import type { PolicyEvent } from "./policy-events.ts";
import type { Source } from "../manager/source.ts";
import {
  acceptance,
  agentFailure,
  agentHolds,
  changedInFlight,
  ownedByAnother,
  poolOf,
  requeueOf,
  setRequest,
  specIssues,
  statusChanged,
  travelOf,
  withRollouts,
} from "./reconcile-decisions.ts";
import { decideStatus, type AgentOutcome, type Outcome } from "./status.ts";
import type { PoolBaselines } from "./pool-baselines.ts";
import type { RolloutLayers } from "../rollout/rollout-layers.ts";
import { layeredSpec, type RolloutLayer } from "../../shared/rollout/layer.ts";
import { moveEnd } from "../../shared/level/host-member.ts";

export interface DomainPolicyReconcilerDeps {
  informer: ResilientInformer<DomainCpuidPolicyObject>;
  /** the informer's events, to let go of this replica's stored copies once it shows them or the object is gone */
  policyEvents: Pick<Source<PolicyEvent>, "subscribe">;
  policies: PolicyIndex;
  hosts: HostIndex;
  agents: AgentClient;
  /** whether an unanswered request counts against the host or only shows the controller's NATS connection blinked */
  link: Pick<NatsConnectionStatus, "blames">;
  writer: ObjectWriter;
  events: EventRecorder;
  metrics: ControllerMetrics;
  log: Logger;
  stagedRefreshMs: number;
  evaluations: EvaluationCache;
  /** how many hosts would accept each effective policy (status.acceptingHosts) */
  accepting: AcceptingHostsIndex;
  /** the level and members of spec.pool, for baseline pool */
  pools: Pick<PoolBaselines, "get">;
  /** the rollouts whose waves reached each policy: layers over its spec */
  layers: Pick<RolloutLayers, "of">;
  /** queues a sweep of the host for domains no policy governs (./orphan-reset.ts) */
  sweepHost(hostId: string): void;
}

export class DomainPolicyReconciler {
  readonly #d: DomainPolicyReconcilerDeps;
  /** what this replica last wrote, until the informer shows it (a host change or a rival policy can trigger a quick second reconcile) */
  readonly #own = new OwnWrites<DomainCpuidPolicyObject>();

  constructor(deps: DomainPolicyReconcilerDeps) {
    this.#d = deps;
    deps.policyEvents.subscribe((e) => {
      if (e.type === "deleted") this.#own.forget(e.obj.metadata);
      else this.#own.caughtUp(e.obj);
    });
  }

  async reconcile(key: string): Promise<HandlerResult> {
    const { name, namespace } = splitKey(key);
    const cached = this.#d.informer.get(name, namespace);
    // being deleted (another party's finalizer holds it): nothing new goes to the host
    if (!cached || cached.metadata.deletionTimestamp) {
      this.#own.forget({ name, namespace });
      return;
    }

    const obj = this.#own.current(cached);
    const generation = obj.metadata.generation ?? 0;
    const previous = obj.status;
    const layers = this.#d.layers.of(key);
    const outcome = await this.#outcome(obj, key, generation, previous, layers);
    const decision = decideStatus(previous, generation, outcome, new Date());
    const status = withRollouts(decision.status, layers, outcome.kind);

    if (statusChanged(status, previous)) {
      try {
        this.#own.wrote(obj, await this.#d.writer.patchDomainStatus(obj, previous, status));
        // the informer may have shown the write, or the deletion, before the write's answer came
        const shown = this.#d.informer.get(name, namespace);
        if (shown) this.#own.caughtUp(shown);
        else this.#own.forget(obj.metadata);
        this.#d.metrics.statusWrites.inc({ kind: "domain" });
      } catch (err) {
        if (httpStatusOf(err) === 404) return;
        throw err;
      }
    }
    if (decision.auditFailure) this.#d.metrics.auditFailures.inc({ reason: decision.auditFailure });
    for (const event of decision.events) this.#d.events.record(obj, event);
    return requeueOf({ retry: decision.retry, status }, this.#d.stagedRefreshMs);
  }

  async #outcome(obj: DomainCpuidPolicyObject, key: string, generation: number, previous: DomainCpuidPolicyStatus | undefined, layers: readonly RolloutLayer[]): Promise<Outcome> {
    const parsed = DomainCpuidPolicySpec.safeParse(obj.spec);
    if (!parsed.success) return { kind: "invalid-policy", message: specIssues(parsed.error.issues) };
    const spec = layeredSpec(parsed.data, layers);
    const poolName = poolOf(spec);
    const pool = poolName ? this.#d.pools.get(poolName) : undefined;
    const build: BuildOnHost = (s, h) => this.#d.evaluations.evaluate(s, h, pool);
    const source = policySource(spec, previous, (id) => this.#d.hosts.get(id)?.record, build);
    if (source.kind === "unknown") return { kind: "not-carried", message: source.message };
    const travel = travelOf(spec, source, (p) => this.#d.evaluations.wireForm(p));
    const owner = this.#d.policies.owner(spec.host, spec.domain);
    if (ownedByAnother(owner, key)) return { kind: "conflict", host: spec.host, domain: spec.domain, owner, travel };
    const host = this.#d.hosts.get(spec.host);
    if (!host) return { kind: "host-not-found", hostId: spec.host, travel };
    const evaluation =
      source.kind === "carry"
        ? auditOnHost(source.policy, spec.guestType, host.record, { from: moveEnd(source.from, this.#d.hosts.get(source.from)?.record) })
        : build(spec, host.record);
    if (evaluation.kind !== "audited") return evaluation;
    // the policy's host: a domain with itsc takes its TSC rate along (shared/level/compat.ts)
    const here = moveEnd(spec.host, host.record);
    const accepting = acceptance(this.#d.accepting.all(evaluation.requested, evaluation.policyHash, spec.guestType, here), spec.host, pool);
    if (evaluation.findings.length > 0) return { kind: "audited", evaluation, travel, accepting };
    const agent = await this.#talkToAgent(obj, spec, evaluation, generation, previous);
    return { kind: "audited", evaluation, agent, travel, accepting };
  }

  async #talkToAgent(
    obj: DomainCpuidPolicyObject,
    spec: DomainCpuidPolicySpec,
    evaluation: AuditedEvaluation,
    generation: number,
    previous: DomainCpuidPolicyStatus | undefined,
  ): Promise<AgentOutcome> {
    const action = agentAction(previous, generation, evaluation.policyHash);
    if (action === "none") return { kind: "unchanged" };
    if (action === "refresh") {
      const asked = Date.now();
      const r = await this.#d.agents.get(spec.host, spec.domain);
      if (r.kind !== "ok") return this.#failure(spec.host, asked, r);
      if (agentHolds(r.value, evaluation.policyHash)) return { kind: "domain", info: r.value };
      // the agent no longer holds the policy (e.g. its state was reset): send it again
    }
    const request = setRequest(obj.metadata, spec, generation, evaluation.policyHash, this.#d.evaluations.wireForm(evaluation.requested));
    const asked = Date.now();
    const started = performance.now();
    const r = await this.#d.agents.set(request);
    const result = r.kind === "ok" ? r.value.result : r.kind;
    this.#d.metrics.setPolicyDuration.observe({ result }, (performance.now() - started) / 1000);
    if (changedInFlight(obj.metadata, this.#d.informer.get(obj.metadata.name!, obj.metadata.namespace)?.metadata)) this.#d.sweepHost(spec.host);
    this.#d.log.debug({ host: spec.host, domain: spec.domain, requestId: request.requestId, result }, "set policy");
    return r.kind === "ok" ? { kind: "reply", reply: r.value, requestId: request.requestId } : this.#failure(spec.host, asked, r);
  }

  #failure(hostId: string, asked: number, r: Exclude<AgentResult<unknown>, { kind: "ok" }>): AgentOutcome {
    return agentFailure(r, this.#d.link.blames(this.#d.hosts.get(hostId), asked));
  }
}
