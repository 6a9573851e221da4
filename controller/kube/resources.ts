// Keys of the custom resources in the controller's work queues.

import type { V1ObjectMeta } from "@kubernetes/client-node";

export const objectKey = (meta: V1ObjectMeta): string => (meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name!);

export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf("/");
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
