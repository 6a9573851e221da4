// The DomainCpuidPolicy informer's events, after keeping the PolicyIndex in
// step with them (on every replica, leading or not): each event says where
// the policy pointed before and now, and which rival policies (naming the
// same host and domain) it affected, for the watches to map to keys.

import type { DomainCpuidPolicyObject } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { objectKey } from "../kube/resources.ts";
import { Source } from "../manager/source.ts";
import type { PolicyIndex, PolicyTarget } from "./policy-index.ts";

export interface PolicyEvent {
  type: "added" | "updated" | "deleted";
  key: string;
  obj: DomainCpuidPolicyObject;
  /** the host and domain it named before this event */
  previous?: PolicyTarget;
  /** the host and domain it names now; none when deleted or its spec names none */
  current?: PolicyTarget;
  /** other policies whose governing policy may have changed */
  rivals: readonly string[];
}

export class PolicyEvents extends Source<PolicyEvent> {
  readonly #policies: PolicyIndex;

  constructor(policies: PolicyIndex) {
    super();
    this.#policies = policies;
  }

  /** The informer's handlers. */
  readonly onAdd = (obj: DomainCpuidPolicyObject): void => this.#changed("added", obj);
  readonly onUpdate = (obj: DomainCpuidPolicyObject): void => this.#changed("updated", obj);
  readonly onDelete = (obj: DomainCpuidPolicyObject): void => {
    const key = objectKey(obj.metadata);
    const previous = this.#policies.target(key);
    this.emit({ type: "deleted", key, obj, previous, rivals: this.#policies.remove(key) });
  };

  #changed(type: "added" | "updated", obj: DomainCpuidPolicyObject): void {
    const key = objectKey(obj.metadata);
    const previous = this.#policies.target(key);
    const spec = obj.spec as { host?: unknown; domain?: unknown } | undefined;
    const current =
      typeof spec?.host === "string" && typeof spec.domain === "string"
        ? { host: spec.host, domain: spec.domain, createdAt: String(obj.metadata.creationTimestamp ?? ""), ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}) }
        : undefined;
    const rivals = current ? this.#policies.set(key, current) : this.#policies.remove(key);
    this.emit({ type, key, obj, previous, current, rivals });
  }
}
