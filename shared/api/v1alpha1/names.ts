// The cpuidfleet.io/v1alpha1 API's names: group, version, kinds, plurals,
// short names, CRD names and REST paths. The CRDs, the controller, the CLI,
// the demo and the benchmarks all take them from here.

export const API_GROUP = "cpuidfleet.io";
export const API_VERSION = "v1alpha1";
/** the apiVersion field of every object of this API */
export const GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;
/** `kubectl get cpuid` lists every kind of the API */
export const CATEGORY = "cpuid";

export interface KindNames {
  kind: string;
  plural: string;
  singular: string;
  shortName: string;
  scope: "Namespaced" | "Cluster";
}

export const DOMAIN_POLICY_NAMES: KindNames = {
  kind: "DomainCpuidPolicy",
  plural: "domaincpuidpolicies",
  singular: "domaincpuidpolicy",
  shortName: "dcp",
  scope: "Namespaced",
};

export const HOST_POLICY_NAMES: KindNames = {
  kind: "HostCpuidPolicy",
  plural: "hostcpuidpolicies",
  singular: "hostcpuidpolicy",
  shortName: "hcp",
  scope: "Cluster",
};

export const POOL_NAMES: KindNames = {
  kind: "CpuidPool",
  plural: "cpuidpools",
  singular: "cpuidpool",
  shortName: "cpool",
  scope: "Cluster",
};

export const ROLLOUT_NAMES: KindNames = {
  kind: "CpuidRollout",
  plural: "cpuidrollouts",
  singular: "cpuidrollout",
  shortName: "crollout",
  scope: "Cluster",
};

export const DOMAIN_PLURAL = DOMAIN_POLICY_NAMES.plural;
export const ROLLOUT_PLURAL = ROLLOUT_NAMES.plural;
export const POOL_PLURAL = POOL_NAMES.plural;
export const HOST_PLURAL = HOST_POLICY_NAMES.plural;

/** metadata.name of a kind's CustomResourceDefinition */
export const crdName = (names: KindNames): string => `${names.plural}.${API_GROUP}`;

export function domainPoliciesPath(namespace?: string): string {
  return namespace ? `/apis/${GROUP_VERSION}/namespaces/${namespace}/${DOMAIN_PLURAL}` : `/apis/${GROUP_VERSION}/${DOMAIN_PLURAL}`;
}

export const hostPoliciesPath = (): string => `/apis/${GROUP_VERSION}/${HOST_PLURAL}`;

export const poolsPath = (): string => `/apis/${GROUP_VERSION}/${POOL_PLURAL}`;

export const rolloutsPath = (): string => `/apis/${GROUP_VERSION}/${ROLLOUT_PLURAL}`;
