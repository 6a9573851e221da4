// Watches the benchmark's namespace and notes when each DomainCpuidPolicy is
// first seen meeting a milestone (Applied for its current generation; a
// rollout's change carried or gone); keeps the last copy of each.

import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import type { DomainCpuidPolicyObject } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { API_GROUP, API_VERSION, DOMAIN_PLURAL, domainPoliciesPath } from "../../shared/api/v1alpha1/names.ts";
import { ResumingWatch } from "./resuming-watch.ts";

export type Milestone = (obj: DomainCpuidPolicyObject) => boolean;

/** Applied=True for the current generation. */
export const applied: Milestone = (obj) =>
  obj.status?.conditions?.find((c) => c.type === "Applied")?.status === "True" && obj.status?.observedGeneration === obj.metadata.generation;

export class PolicyWatch {
  /** name → Date.now() when the milestone was first seen */
  seenAt = new Map<string, number>();
  /** name → the object as last seen */
  readonly latest = new Map<string, DomainCpuidPolicyObject>();
  readonly #watch: ResumingWatch<DomainCpuidPolicyObject>;
  #milestone: Milestone;
  #waiters: { count: number; resolve: () => void }[] = [];

  constructor(kubeConfig: KubeConfig, namespace: string, milestone: Milestone = applied) {
    this.#milestone = milestone;
    const api = kubeConfig.makeApiClient(CustomObjectsApi);
    const list = () => api.listNamespacedCustomObject({ group: API_GROUP, version: API_VERSION, plural: DOMAIN_PLURAL, namespace }) as Promise<{ items: DomainCpuidPolicyObject[] }>;
    this.#watch = new ResumingWatch(kubeConfig, domainPoliciesPath(namespace), {}, list, (type, obj) => {
      if (type !== "ADDED" && type !== "MODIFIED") return;
      this.latest.set(obj.metadata.name!, obj);
      this.#check(obj);
    });
  }

  start(): Promise<void> {
    return this.#watch.start();
  }

  /** From now on notes `milestone` (starting again from the objects as last seen). */
  watchFor(milestone: Milestone): void {
    this.#milestone = milestone;
    this.seenAt = new Map();
    for (const obj of this.latest.values()) this.#check(obj);
  }

  /** Resolves once `count` objects have met the milestone. */
  until(count: number): Promise<void> {
    if (this.seenAt.size >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  stop(): void {
    this.#watch.stop();
  }

  /** how often the watch ended and started again, and how often of those from the current objects */
  get resumed(): { restarts: number; relists: number } {
    return { restarts: this.#watch.restarts, relists: this.#watch.relists };
  }

  #check(obj: DomainCpuidPolicyObject): void {
    const name = obj.metadata.name!;
    if (this.seenAt.has(name) || !this.#milestone(obj)) return;
    this.seenAt.set(name, Date.now());
    this.#waiters = this.#waiters.filter((w) => (this.seenAt.size >= w.count ? (w.resolve(), false) : true));
  }
}
