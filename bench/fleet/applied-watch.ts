// Watches the benchmark's namespace and notes when each DomainCpuidPolicy is
// first seen with Applied=True for its current generation.

import { type KubeConfig, Watch } from "@kubernetes/client-node";
import { setTimeout as sleep } from "node:timers/promises";
import type { DomainCpuidPolicyObject } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { domainPoliciesPath } from "../../shared/api/v1alpha1/names.ts";

export class AppliedWatch {
  /** name → Date.now() when Applied=True was first seen */
  readonly appliedAt = new Map<string, number>();
  readonly #watch: Watch;
  readonly #path: string;
  #resourceVersion: string | undefined;
  #abort: AbortController | undefined;
  #stopped = false;
  #waiters: { count: number; resolve: () => void }[] = [];

  constructor(kubeConfig: KubeConfig, namespace: string) {
    this.#watch = new Watch(kubeConfig);
    this.#path = domainPoliciesPath(namespace);
  }

  async start(): Promise<void> {
    this.#abort = await this.#watch.watch(
      this.#path,
      { allowWatchBookmarks: true, ...(this.#resourceVersion ? { resourceVersion: this.#resourceVersion } : {}) },
      (type: string, obj: DomainCpuidPolicyObject) => this.#onEvent(type, obj),
      () => void this.#restart(),
    );
  }

  /** Resolves once `count` objects have been Applied. */
  until(count: number): Promise<void> {
    if (this.appliedAt.size >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  stop(): void {
    this.#stopped = true;
    this.#abort?.abort();
  }

  #onEvent(type: string, obj: DomainCpuidPolicyObject): void {
    this.#resourceVersion = obj.metadata?.resourceVersion ?? this.#resourceVersion;
    if (type !== "ADDED" && type !== "MODIFIED") return;
    const name = obj.metadata.name!;
    if (this.appliedAt.has(name)) return;
    const applied = obj.status?.conditions?.find((c) => c.type === "Applied");
    if (applied?.status !== "True" || obj.status?.observedGeneration !== obj.metadata.generation) return;
    this.appliedAt.set(name, Date.now());
    this.#waiters = this.#waiters.filter((w) => (this.appliedAt.size >= w.count ? (w.resolve(), false) : true));
  }

  /** The apiserver ends watches after a while: continue from the last resource version. */
  async #restart(): Promise<void> {
    if (this.#stopped) return;
    await sleep(100);
    await this.start();
  }
}
