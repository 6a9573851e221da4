// The kubeconfig for kubectl's global flags (kube-target.ts). Apart from the
// flags so that commands which never reach a cluster do not load the
// Kubernetes client at start-up.

import { KubeConfig } from "@kubernetes/client-node";
import { UsageError } from "./command.ts";
import type { KubeTarget } from "./kube-target.ts";

export interface LoadedKube {
  kubeConfig: KubeConfig;
  /** the namespace objects without one belong to */
  namespace: string;
}

/** The kubeconfig as kubectl would load it for these flags; an unknown context is a UsageError. */
export function loadKube(target: KubeTarget): LoadedKube {
  const kubeConfig = new KubeConfig();
  try {
    if (target.kubeconfig) kubeConfig.loadFromFile(target.kubeconfig);
    else kubeConfig.loadFromDefault();
  } catch (e) {
    throw new UsageError(`cannot read kubeconfig ${target.kubeconfig ?? "(default)"}: ${(e as Error).message}`);
  }
  if (target.context) {
    if (!kubeConfig.getContextObject(target.context)) {
      const known = kubeConfig.getContexts().map((c) => c.name);
      throw new UsageError(`context "${target.context}" is not in the kubeconfig (it has: ${known.join(", ") || "none"})`);
    }
    kubeConfig.setCurrentContext(target.context);
  }
  const namespace = target.namespace ?? kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ?? "default";
  return { kubeConfig, namespace };
}
