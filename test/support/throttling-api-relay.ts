// A plain-HTTP relay in front of the real kube-apiserver that answers the
// first list requests under a path with the 429 the apiserver itself gives
// while its cache of a resource is still filling ("storage is
// (re)initializing", Retry-After: 1), and passes every other request on to
// the apiserver as the kubeconfig's user. Notes when each list request came.

import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { request, type RequestOptions } from "node:https";
import type { AddressInfo } from "node:net";
import type { KubeConfig } from "@kubernetes/client-node";

const STORAGE_INITIALIZING = JSON.stringify({
  kind: "Status",
  apiVersion: "v1",
  metadata: {},
  status: "Failure",
  message: "storage is (re)initializing",
  reason: "TooManyRequests",
  details: { retryAfterSeconds: 1 },
  code: 429,
});

export class ThrottlingApiRelay {
  readonly #server: Server;
  /** when each list request under the path came (ms), and whether it was refused */
  readonly lists: { at: number; refused: boolean }[] = [];

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Refuses the first `times` lists (GET without watch) of paths starting with `pathPrefix`. */
  static async start(upstream: KubeConfig, pathPrefix: string, times: number): Promise<ThrottlingApiRelay> {
    const server = new URL(upstream.getCurrentCluster()!.server);
    const tls: RequestOptions = {};
    await upstream.applyToHTTPSOptions(tls);
    let refusals = times;
    const relay: ThrottlingApiRelay = new ThrottlingApiRelay(
      createServer((req: IncomingMessage, res: ServerResponse) => {
        const url = new URL(req.url ?? "/", "http://relay");
        if (req.method === "GET" && url.pathname.startsWith(pathPrefix) && url.searchParams.get("watch") !== "true") {
          const refused = refusals > 0;
          relay.lists.push({ at: Date.now(), refused });
          if (refused) {
            refusals--;
            res.writeHead(429, { "content-type": "application/json", "retry-after": "1" }).end(STORAGE_INITIALIZING);
            return;
          }
        }
        const headers = { ...req.headers, host: server.host };
        const forward = request({ ...tls, hostname: server.hostname, port: server.port, path: req.url, method: req.method, headers }, (answer) => {
          // a watch's answer has no body until something changes: its headers go out now
          res.writeHead(answer.statusCode ?? 502, answer.headers).flushHeaders();
          answer.pipe(res);
        });
        forward.on("error", () => res.destroy());
        res.on("close", () => forward.destroy());
        req.pipe(forward);
      }),
    );
    relay.#server.listen(0, "127.0.0.1");
    await once(relay.#server, "listening");
    return relay;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, "close");
  }
}
