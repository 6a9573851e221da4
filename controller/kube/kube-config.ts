// A KubeConfig whose API clients share one keep-alive connection pool.
// client-node 1.4 builds a new https.Agent for every request, so each call
// pays a TCP and TLS handshake; a controller writing thousands of statuses
// cannot afford that. (Watches go through applyToFetchOptions and keep their
// own long-lived connection.) The controller's writes (./kube-rest.ts) take
// the same pool from applySecurityAuthentication.
//
// The pool has no socket limit on purpose (the callers' own concurrency bounds
// it): with one, requests queue for busy sockets, and node-fetch 2 (inside
// client-node) then reports responses read over a reused socket as
// "Premature close" although they arrived whole (node-fetch/node-fetch#1767),
// so a status write that succeeded looked failed and was retried.

import { Agent as HttpAgent } from "node:http";
import { Agent, type RequestOptions } from "node:https";
import { KubeConfig, type RequestContext } from "@kubernetes/client-node";

/**
 * Idle connections kept for reuse: at least one per reconcile in flight
 * (--workers, at most 256), or a burst of writes would close and reopen TLS
 * connections all the time (at 128 workers and 64 kept, ~6 % of the
 * controller's CPU went to new connections).
 */
const MAX_FREE_SOCKETS = 256;

/**
 * A pool whose connections all carry the TLS settings it was built with. Node
 * names each request's pool by those settings (the CA, certificate and key
 * PEM text concatenated, a Buffer decoded first), per request; here host and
 * port name it, as for plain HTTP, since the TLS part cannot differ.
 */
class FixedTlsAgent extends Agent {
  override getName(options?: RequestOptions): string {
    return HttpAgent.prototype.getName.call(this, options);
  }
}

export class PooledKubeConfig extends KubeConfig {
  #agent?: Agent;

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const perRequest = context.getAgent();
    // proxies and plain http keep client-node's own agent
    if (!(perRequest instanceof Agent)) return;
    this.#agent ??= new FixedTlsAgent({ ...(perRequest as Agent & { options: object }).options, keepAlive: true, maxFreeSockets: MAX_FREE_SOCKETS });
    context.setAgent(this.#agent);
  }
}

export function loadKubeConfig(file: string | undefined): KubeConfig {
  const kubeConfig = new PooledKubeConfig();
  if (file) kubeConfig.loadFromFile(file);
  else kubeConfig.loadFromDefault();
  return kubeConfig;
}
