// /metrics, /healthz (the process serves) and /readyz (connected to NATS,
// host policies published, requests subscribed).

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface HttpEndpoints {
  register: Registry;
  /** undefined when ready, else why not */
  notReadyReason(): string | undefined;
}

export async function startHttp(host: string, port: number, endpoints: HttpEndpoints): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/metrics") {
      endpoints.register.metrics().then(
        (text) => res.writeHead(200, { "Content-Type": endpoints.register.contentType }).end(text),
        (e: Error) => res.writeHead(500).end(`${e.message}\n`),
      );
    } else if (path === "/healthz") {
      res.writeHead(200, { "Content-Type": "text/plain" }).end("ok\n");
    } else if (path === "/readyz") {
      const why = endpoints.notReadyReason();
      res.writeHead(why ? 503 : 200, { "Content-Type": "text/plain" }).end(why ? `not ready: ${why}\n` : "ok\n");
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}

/**
 * Stops listening and ends every open connection. server.close() alone waits
 * for keep-alive connections that are busy when it is called: a client that
 * polls over one (a readiness probe every 100 ms) holds it open for ever, so
 * a daemon that failed to start, or was told to stop, never got to exit.
 */
export function closeHttpServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
