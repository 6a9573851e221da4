// Reading a CpuidPool from the cluster, for the commands that need its stored
// level or members (pool relevel, migrate check, audit of baseline pool).

import { ApiException, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import type { CpuidPoolObject } from "../shared/api/v1alpha1/cpuid-pool.ts";
import { API_GROUP, API_VERSION, POOL_PLURAL } from "../shared/api/v1alpha1/names.ts";
import { UsageError } from "./command.ts";

/** The pool, or undefined when it does not exist. */
export async function findPool(kubeConfig: KubeConfig, name: string): Promise<CpuidPoolObject | undefined> {
  try {
    return (await kubeConfig.makeApiClient(CustomObjectsApi).getClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural: POOL_PLURAL, name })) as CpuidPoolObject;
  } catch (e) {
    if (e instanceof ApiException && e.code === 404) return undefined;
    throw new UsageError(`cannot read CpuidPool ${name}: ${(e as Error).message.split("\n")[0]}`);
  }
}
