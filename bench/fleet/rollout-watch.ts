// Watches one CpuidRollout: when each wave was first seen in each phase, the
// status as last seen (and how large the stored object grew), and waits for a
// condition.

import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import type { CpuidRolloutObject, CpuidRolloutStatus } from "../../shared/api/v1alpha1/cpuid-rollout.ts";
import { API_GROUP, API_VERSION, ROLLOUT_PLURAL, rolloutsPath } from "../../shared/api/v1alpha1/names.ts";
import { ResumingWatch } from "./resuming-watch.ts";

export class RolloutWatch {
  /** `${wave index} ${phase}` → Date.now() when first seen */
  readonly phaseSeenAt = new Map<string, number>();
  status: CpuidRolloutStatus | undefined;
  /** MODIFIED events seen (each a write of the rollout) */
  updates = 0;
  /** bytes of the largest version of the object seen (JSON) */
  largestBytes = 0;
  readonly #watch: ResumingWatch<CpuidRolloutObject>;
  #waiters: { type: string; resolve: (at: number) => void }[] = [];

  constructor(kubeConfig: KubeConfig, name: string) {
    const fieldSelector = `metadata.name=${name}`;
    const api = kubeConfig.makeApiClient(CustomObjectsApi);
    const list = () => api.listClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural: ROLLOUT_PLURAL, fieldSelector }) as Promise<{ items: CpuidRolloutObject[] }>;
    this.#watch = new ResumingWatch(kubeConfig, rolloutsPath(), { fieldSelector }, list, (type, obj) => {
      if (type !== "ADDED" && type !== "MODIFIED") return;
      if (type === "MODIFIED") this.updates++;
      this.largestBytes = Math.max(this.largestBytes, Buffer.byteLength(JSON.stringify(obj)));
      this.status = obj.status;
      const now = Date.now();
      obj.status?.waves?.forEach((w, i) => {
        const key = `${i} ${w.phase}`;
        if (!this.phaseSeenAt.has(key)) this.phaseSeenAt.set(key, now);
      });
      this.#waiters = this.#waiters.filter((w) => (this.#holds(w.type) ? (w.resolve(now), false) : true));
    });
  }

  start(): Promise<void> {
    return this.#watch.start();
  }

  /** Resolves with the time the condition `type` was first seen True. */
  untilCondition(type: string): Promise<number> {
    if (this.#holds(type)) return Promise.resolve(Date.now());
    return new Promise((resolve) => this.#waiters.push({ type, resolve }));
  }

  stop(): void {
    this.#watch.stop();
  }

  #holds(type: string): boolean {
    return this.status?.conditions?.some((c) => c.type === type && c.status === "True") ?? false;
  }
}
