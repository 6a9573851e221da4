// A KubeConfig whose API clients share one keep-alive connection pool.
// client-node 1.4 builds a new https.Agent for every request, so each call
// pays a TCP and TLS handshake; a controller writing thousands of statuses
// cannot afford that. (Watches go through applyToFetchOptions and keep their
// own long-lived connection.)

import { Agent } from "node:https";
import { KubeConfig, type RequestContext } from "@kubernetes/client-node";

const MAX_SOCKETS = 32;

export class PooledKubeConfig extends KubeConfig {
  #agent?: Agent;

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const perRequest = context.getAgent();
    // proxies and plain http keep client-node's own agent
    if (!(perRequest instanceof Agent)) return;
    this.#agent ??= new Agent({ ...(perRequest as Agent & { options: object }).options, keepAlive: true, maxSockets: MAX_SOCKETS });
    context.setAgent(this.#agent);
  }
}

export function loadKubeConfig(file: string | undefined): KubeConfig {
  const kubeConfig = new PooledKubeConfig();
  if (file) kubeConfig.loadFromFile(file);
  else kubeConfig.loadFromDefault();
  return kubeConfig;
}
