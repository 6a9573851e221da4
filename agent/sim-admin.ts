// The sim backend's admin surface (protocol: shared/schemas/sim-admin.ts).
// HTTP on a unix socket in the state directory (mode 0600), so only local
// users who may read the state dir can use it, and no NATS identity, not even
// the controller's, can create or start domains.

import { chmodSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { Logger } from "pino";
import { parseSimAdminRoute, simSocketPath, type SimAdminCall, type SimAdminReply } from "../shared/schemas/sim-admin.ts";
import { BackendRefusal, domainInfo, type DomainRecord } from "./backends/backend.ts";
import type { SimBackend } from "./backends/sim.ts";

/** `onChange` is told the name of each domain an admin request created, started, stopped or destroyed. */
export async function startSimAdmin(stateDir: string, sim: SimBackend, log: Logger, onChange: (domain: string) => void): Promise<Server> {
  const path = simSocketPath(stateDir);
  rmSync(path, { force: true });
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
    const call = parseSimAdminRoute(req.method, req.url);
    if ("error" in call) {
      send(400, { error: call.error });
      return;
    }
    act(call, sim).then(
      (result) => {
        if (call.action !== "list") {
          log.info({ admin: `${req.method} ${req.url}` }, "sim domain changed");
          onChange(call.domain!);
        }
        send(200, result);
      },
      (e: Error) => send(e instanceof BackendRefusal ? 409 : 500, { error: e.message }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolve());
  });
  chmodSync(path, 0o600);
  return server;
}

const summary = (d: DomainRecord) => domainInfo(d, false);

async function act(call: SimAdminCall, sim: SimBackend): Promise<SimAdminReply> {
  const domain = call.domain!;
  switch (call.action) {
    case "list":
      return (await sim.domains()).map(summary);
    case "create":
      return summary(await sim.create(domain, call.guestType));
    case "start":
      return summary(await sim.start(domain, call.guestType));
    case "stop":
      return summary(await sim.stop(domain));
    case "destroy":
      await sim.destroy(domain);
      return { ok: true };
  }
}
