// The custom resources as the controller sees them on the wire.

import type { V1ObjectMeta } from "@kubernetes/client-node";
import { API_GROUP, API_VERSION, type DomainCpuidPolicyStatus } from "../../shared/schemas/domain-cpuid-policy.ts";
import type { HostCpuidPolicyStatus } from "../../shared/schemas/host-cpuid-policy.ts";
import { DOMAIN_POLICY_NAMES, HOST_POLICY_NAMES } from "../crd/definitions.ts";

export { API_GROUP, API_VERSION };
export const DOMAIN_PLURAL = DOMAIN_POLICY_NAMES.plural;
export const HOST_PLURAL = HOST_POLICY_NAMES.plural;

export interface DomainCpuidPolicyObject {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta;
  /** validated by the reconciler: the CRD schema may be older than the controller */
  spec: unknown;
  status?: DomainCpuidPolicyStatus;
}

export interface HostCpuidPolicyObject {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta;
  status?: HostCpuidPolicyStatus;
}

export const objectKey = (meta: V1ObjectMeta): string => (meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name!);

export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf("/");
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export function domainPoliciesPath(namespace?: string): string {
  return namespace
    ? `/apis/${API_GROUP}/${API_VERSION}/namespaces/${namespace}/${DOMAIN_PLURAL}`
    : `/apis/${API_GROUP}/${API_VERSION}/${DOMAIN_PLURAL}`;
}

export const hostPoliciesPath = (): string => `/apis/${API_GROUP}/${API_VERSION}/${HOST_PLURAL}`;
