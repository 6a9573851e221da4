// Reconciles one CpuidRollout (key: its name): gathers the facts (the
// DomainCpuidPolicies from the informer, namespaces' labels and the target
// pool's members when it is planned), decides (./rollout-status.ts), adds the
// finalizer before anything reaches a policy, writes the status guarded by
// its resourceVersion (so a decision made on a stale copy is never stored and
// no wave is started twice; its own last write counts as fresher than the
// informer's copy from before it, ./own-writes.ts), removes the finalizer
// once rolled back, and records events.

import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { isDeepStrictEqual } from "node:util";
import type { Logger } from "pino";
import type { CpuidPoolObject } from "../../shared/api/v1alpha1/cpuid-pool.ts";
import type { CpuidRolloutObject, CpuidRolloutSpec } from "../../shared/api/v1alpha1/cpuid-rollout.ts";
import { DomainCpuidPolicySpec, type DomainCpuidPolicyObject } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { selectTargets, type RolloutCandidate } from "../../shared/rollout/plan.ts";
import type { EventRecorder } from "../kube/events.ts";
import type { ResilientInformer } from "../kube/informer.ts";
import { httpStatusOf } from "../kube/api-error.ts";
import type { ObjectWriter } from "../kube/object-writer.ts";
import { objectKey } from "../kube/resources.ts";
import type { ControllerMetrics } from "../metrics.ts";
import type { HandlerResult } from "../runtime/work-queue.ts";
import { OwnWrites } from "../kube/own-writes.ts";
import { decideRollout, ROLLOUT_FINALIZER } from "./rollout-status.ts";

export interface RolloutReconcilerDeps {
  rollouts: Pick<ResilientInformer<CpuidRolloutObject>, "get" | "list">;
  domains: Pick<ResilientInformer<DomainCpuidPolicyObject>, "get" | "list">;
  pools: Pick<ResilientInformer<CpuidPoolObject>, "get">;
  /** namespaces' labels, read when a rollout with a namespaceSelector is planned */
  namespaceLabels(): Promise<Map<string, Record<string, string>>>;
  writer: ObjectWriter;
  events: Pick<EventRecorder, "record">;
  metrics: Pick<ControllerMetrics, "statusWrites">;
  log: Logger;
}

export class RolloutReconciler {
  readonly #d: RolloutReconcilerDeps;
  readonly #own = new OwnWrites<CpuidRolloutObject>();

  constructor(deps: RolloutReconcilerDeps) {
    this.#d = deps;
  }

  async reconcile(name: string): Promise<HandlerResult> {
    const cached = this.#d.rollouts.get(name);
    if (!cached) {
      this.#own.forget({ name });
      return;
    }
    let rollout = this.#own.current(cached);
    const decidedOn = rollout;
    const planning = !rollout.status?.waves;
    const namespaces = planning && hasNamespaceSelector(rollout.spec) ? await this.#d.namespaceLabels() : new Map<string, Record<string, string>>();
    const decision = decideRollout(rollout, {
      now: new Date(),
      policy: (key) => {
        const [namespace, policyName] = key.split("/");
        return this.#d.domains.get(policyName, namespace);
      },
      targets: (spec) => this.#targets(spec, namespaces),
      // the others as this replica last wrote them: one planned just now must be seen, to wait for it
      others: this.#d.rollouts.list().map((o) => this.#own.current(o)),
    });
    try {
      const finalizers = rollout.metadata.finalizers ?? [];
      if (decision.finalizer === "add" && !finalizers.includes(ROLLOUT_FINALIZER)) {
        rollout = await this.#d.writer.patchRolloutFinalizers(rollout, [...finalizers, ROLLOUT_FINALIZER]);
      }
      if (!isDeepStrictEqual(decision.status, rollout.status ?? {})) {
        rollout = await this.#d.writer.patchRolloutStatus(rollout, decision.status);
        this.#d.metrics.statusWrites.inc({ kind: "rollout" });
      }
      if (decision.finalizer === "remove" && finalizers.includes(ROLLOUT_FINALIZER)) {
        rollout = await this.#d.writer.patchRolloutFinalizers(rollout, finalizers.filter((f) => f !== ROLLOUT_FINALIZER));
      }
      if (rollout !== decidedOn) this.#own.wrote(decidedOn, rollout);
    } catch (err) {
      this.#own.forget({ name });
      const code = httpStatusOf(err);
      // changed meanwhile (or gone): decide again on what the informer brings
      if (code === 409) return { requeue: "backoff" };
      if (code === 404) return;
      throw err;
    }
    for (const e of decision.events) this.#d.events.record(rollout, e);
    for (const e of decision.events) this.#d.log.info({ rollout: name, reason: e.reason }, e.note);
    if (decision.requeueAfterMs !== undefined) return { requeueAfterMs: decision.requeueAfterMs };
    return undefined;
  }

  #targets(spec: CpuidRolloutSpec, namespaces: Map<string, Record<string, string>>) {
    const candidates: RolloutCandidate[] = this.#d.domains.list().map((obj) => {
      const parsed = DomainCpuidPolicySpec.safeParse(obj.spec);
      return { key: objectKey(obj.metadata), namespace: obj.metadata.namespace ?? "", labels: obj.metadata.labels, spec: parsed.success ? parsed.data : undefined };
    });
    const pool = spec.targets.pool === undefined ? undefined : this.#d.pools.get(spec.targets.pool);
    const members = pool ? new Set(pool.status?.members ?? []) : undefined;
    return selectTargets(spec, candidates, (ns) => namespaces.get(ns), members);
  }
}

function hasNamespaceSelector(spec: unknown): boolean {
  return typeof spec === "object" && spec !== null && "targets" in spec && typeof spec.targets === "object" && spec.targets !== null && "namespaceSelector" in spec.targets;
}

/** Every namespace's labels, listed from the apiserver. */
export function namespaceLabelReader(kubeConfig: KubeConfig): () => Promise<Map<string, Record<string, string>>> {
  const api = kubeConfig.makeApiClient(CoreV1Api);
  return async () => {
    const list = await api.listNamespace();
    return new Map(list.items.map((ns) => [ns.metadata?.name ?? "", ns.metadata?.labels ?? {}]));
  };
}
