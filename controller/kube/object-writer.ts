// The controller's writes to the apiserver, each the narrowest call that
// does the job: JSON merge patches of the status subresource, and the
// HostCpuidPolicy mirrors' creation and deletion. The controller never writes
// a DomainCpuidPolicy's spec or metadata; on a HostCpuidPolicy it writes only
// the labels it manages (and the annotation listing them), on a CpuidPool only
// its level annotation, on a CpuidRollout its status and its finalizer.
// Every write passes the ApiserverThrottle, so that an apiserver answering
// 429 is not hammered by all workers at once, and goes out through KubeRest
// (./kube-rest.ts), at half the CPU of client-node's generated clients.

import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import type { DomainCpuidPolicyObject, DomainCpuidPolicyStatus } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import type { HostCpuidPolicyObject, HostCpuidPolicyStatus } from "../../shared/api/v1alpha1/host-cpuid-policy.ts";
import { MANAGED_LABELS_ANNOTATION, type LabelPatch } from "../../shared/labels/host-labels.ts";
import type { CpuidPoolObject, CpuidPoolStatus } from "../../shared/api/v1alpha1/cpuid-pool.ts";
import type { CpuidRolloutObject, CpuidRolloutStatus } from "../../shared/api/v1alpha1/cpuid-rollout.ts";
import { API_GROUP, API_VERSION, DOMAIN_PLURAL, HOST_PLURAL, POOL_PLURAL, ROLLOUT_PLURAL } from "../../shared/api/v1alpha1/names.ts";
import type { ApiserverThrottle } from "./apiserver-throttle.ts";
import type { KubeRest } from "./kube-rest.ts";

const FIELD_MANAGER = "cpuid-fleet-controller";
const MERGE_PATCH = "application/merge-patch+json";
const API_ROOT = `/apis/${API_GROUP}/${API_VERSION}`;
const withManager = { fieldManager: FIELD_MANAGER };
const mergePatch = (body: object) => ({ query: withManager, body, contentType: MERGE_PATCH });

/** The path of a custom object of the API (or of its collection, without a name). */
function objectPath(plural: string, name?: string, namespace?: string): string {
  const collection = namespace === undefined ? `${API_ROOT}/${plural}` : `${API_ROOT}/namespaces/${encodeURIComponent(namespace)}/${plural}`;
  return name === undefined ? collection : `${collection}/${encodeURIComponent(name)}`;
}

/** The path of an object's status subresource. */
function statusPath(plural: string, name: string | undefined, namespace?: string): string {
  return `${objectPath(plural, name, namespace)}/status`;
}

export class ObjectWriter {
  readonly #api: CustomObjectsApi;
  readonly #rest: KubeRest;
  readonly #throttle: ApiserverThrottle;

  /** `rest`: the connection its writes go over (the controller's events share it) */
  constructor(kubeConfig: KubeConfig, rest: KubeRest, throttle: ApiserverThrottle) {
    this.#api = kubeConfig.makeApiClient(CustomObjectsApi);
    this.#rest = rest;
    this.#throttle = throttle;
  }

  /** client-node's client of the same objects, for reads (lists) */
  get api(): CustomObjectsApi {
    return this.#api;
  }

  /**
   * Replaces the whole status: fields that `previous` (the status last written,
   * which the informer's copy may not show yet) has and `next` lacks are removed.
   * Resolves to the stored object's JSON, unparsed: one per policy, rarely read.
   */
  async patchDomainStatus(obj: DomainCpuidPolicyObject, previous: DomainCpuidPolicyStatus | undefined, next: DomainCpuidPolicyStatus): Promise<string> {
    const { name, namespace } = obj.metadata;
    const body = { status: replacing({ ...obj.status, ...previous }, next) };
    return this.#throttle.run(() => this.#rest.sendForText("PATCH", statusPath(DOMAIN_PLURAL, name, namespace), mergePatch(body)));
  }

  async createHost(name: string): Promise<HostCpuidPolicyObject> {
    const body = { apiVersion: `${API_GROUP}/${API_VERSION}`, kind: "HostCpuidPolicy", metadata: { name } };
    return this.#throttle.run(() => this.#rest.send<HostCpuidPolicyObject>("POST", objectPath(HOST_PLURAL), { query: withManager, body }));
  }

  async patchHostStatus(obj: HostCpuidPolicyObject, next: HostCpuidPolicyStatus): Promise<HostCpuidPolicyObject> {
    return this.#mergePatch<HostCpuidPolicyObject>(statusPath(HOST_PLURAL, obj.metadata.name), { status: replacing(obj.status ?? {}, next) });
  }

  /** Sets and removes (null) the labels it is given and records which labels the controller manages. */
  async patchHostLabels(name: string, patch: LabelPatch): Promise<HostCpuidPolicyObject> {
    const metadata = { labels: patch.labels, annotations: { [MANAGED_LABELS_ANNOTATION]: patch.managedAnnotation } };
    return this.#mergePatch<HostCpuidPolicyObject>(objectPath(HOST_PLURAL, name), { metadata });
  }

  async patchPoolStatus(obj: CpuidPoolObject, next: CpuidPoolStatus): Promise<CpuidPoolObject> {
    return this.#mergePatch<CpuidPoolObject>(statusPath(POOL_PLURAL, obj.metadata.name), { status: replacing(obj.status ?? {}, next) });
  }

  /** Sets (string) or removes (null) annotations of a pool, guarded by its resourceVersion so a pin never races a relevel. */
  async patchPoolAnnotations(obj: CpuidPoolObject, annotations: Record<string, string | null>): Promise<CpuidPoolObject> {
    return this.#mergePatch<CpuidPoolObject>(objectPath(POOL_PLURAL, obj.metadata.name), { metadata: { annotations, resourceVersion: obj.metadata.resourceVersion } });
  }

  /** Replaces a rollout's status, guarded by its resourceVersion: a decision made on a stale copy is refused (409), never stored. */
  async patchRolloutStatus(obj: CpuidRolloutObject, next: CpuidRolloutStatus): Promise<CpuidRolloutObject> {
    const body = { metadata: { resourceVersion: obj.metadata.resourceVersion }, status: replacing(obj.status ?? {}, next) };
    return this.#mergePatch<CpuidRolloutObject>(statusPath(ROLLOUT_PLURAL, obj.metadata.name), body);
  }

  /** Sets a rollout's finalizers, guarded by its resourceVersion. */
  async patchRolloutFinalizers(obj: CpuidRolloutObject, finalizers: string[]): Promise<CpuidRolloutObject> {
    return this.#mergePatch<CpuidRolloutObject>(objectPath(ROLLOUT_PLURAL, obj.metadata.name), { metadata: { finalizers, resourceVersion: obj.metadata.resourceVersion } });
  }

  /** A JSON merge patch of the object (or subresource) at `path`, through the throttle. */
  #mergePatch<T>(path: string, body: object): Promise<T> {
    return this.#throttle.run(() => this.#rest.send<T>("PATCH", path, mergePatch(body)));
  }

  async deleteHost(name: string): Promise<void> {
    await this.#throttle.run(() => this.#rest.sendForText("DELETE", objectPath(HOST_PLURAL, name)));
  }
}

/** A merge-patch body that turns `previous` into `next` at the top level (null deletes a field). */
export function replacing<T extends object>(previous: T, next: T): Record<string, unknown> {
  const body: Record<string, unknown> = { ...(next as Record<string, unknown>) };
  for (const key of Object.keys(previous)) if (!(key in next)) body[key] = null;
  return body;
}

