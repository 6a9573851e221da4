// The sim backend's admin surface: what `xl create/unpause/shutdown/destroy`
// are on a real Xen host. HTTP on a unix socket in the state directory
// (mode 0600), so only local users who may read the state dir can use it,
// and no NATS identity, not even the controller's, can create or start domains.
//
//   GET    /domains                       list
//   POST   /domains/<name>/create[?type=pv|hvm]
//   POST   /domains/<name>/start[?type=pv|hvm]
//   POST   /domains/<name>/stop
//   DELETE /domains/<name>

import { chmodSync, rmSync } from "node:fs";
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import { join } from "node:path";
import type { Logger } from "pino";
import { DomainName } from "../shared/schemas/agent-messages.ts";
import { GuestType } from "../shared/schemas/guest.ts";
import { BackendRefusal, type DomainRecord } from "./backends/backend.ts";
import type { SimBackend } from "./backends/sim.ts";

export const SIM_SOCKET = "sim.sock";

export function simSocketPath(stateDir: string): string {
  return join(stateDir, SIM_SOCKET);
}

type Action = "create" | "start" | "stop" | "destroy" | "list";

/** `onChange` is told the name of each domain an admin request created, started, stopped or destroyed. */
export async function startSimAdmin(stateDir: string, sim: SimBackend, log: Logger, onChange: (domain: string) => void): Promise<Server> {
  const path = simSocketPath(stateDir);
  rmSync(path, { force: true });
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
    act(req, sim).then(
      ({ result, changed }) => {
        if (changed) {
          log.info({ admin: `${req.method} ${req.url}` }, "sim domain changed");
          onChange(changed);
        }
        send(200, result ?? { ok: true });
      },
      (e: Error) => send(e instanceof BackendRefusal ? 409 : e instanceof AdminInputError ? 400 : 500, { error: e.message }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolve());
  });
  chmodSync(path, 0o600);
  return server;
}

class AdminInputError extends Error {}

async function act(req: IncomingMessage, sim: SimBackend): Promise<{ result: unknown; changed?: string }> {
  const url = new URL(req.url ?? "/", "http://sim");
  const parts = url.pathname.split("/").filter(Boolean);
  if (req.method === "GET" && url.pathname === "/domains") return { result: await sim.domains() };
  if (parts[0] !== "domains" || parts.length < 2) throw new AdminInputError(`no such admin path ${url.pathname}`);
  const name = DomainName.safeParse(decodeURIComponent(parts[1]));
  if (!name.success) throw new AdminInputError(`bad domain name: ${name.error.issues[0].message}`);
  const typeParam = url.searchParams.get("type");
  const type = typeParam === null ? undefined : GuestType.safeParse(typeParam);
  if (type && !type.success) throw new AdminInputError(`type must be pv or hvm`);
  const guestType = type?.data;
  const changed = (result: unknown) => ({ result, changed: name.data });
  if (req.method === "DELETE" && parts.length === 2) return changed(await sim.destroy(name.data));
  if (req.method === "POST" && parts.length === 3) {
    switch (parts[2]) {
      case "create":
        return changed(await sim.create(name.data, guestType));
      case "start":
        return changed(await sim.start(name.data, guestType));
      case "stop":
        return changed(await sim.stop(name.data));
    }
  }
  throw new AdminInputError(`no such admin operation ${req.method} ${url.pathname}`);
}

/** Client side, used by `cpuidctl sim …` and the tests. */
export function simAdmin(stateDir: string, action: Action, domain?: string, guestType?: GuestType): Promise<DomainRecord | DomainRecord[] | { ok: true }> {
  const path = action === "list" ? "/domains" : `/domains/${encodeURIComponent(domain ?? "")}${action === "destroy" ? "" : `/${action}`}`;
  const method = action === "list" ? "GET" : action === "destroy" ? "DELETE" : "POST";
  const query = guestType ? `?type=${guestType}` : "";
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: simSocketPath(stateDir), path: path + query, method }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => {
        let parsed: { error?: string };
        try {
          parsed = JSON.parse(body) as { error?: string };
        } catch {
          reject(new Error(`the sim agent answered HTTP ${res.statusCode} with a body that is not JSON`));
          return;
        }
        if (res.statusCode === 200) resolve(parsed as DomainRecord);
        else reject(new Error(parsed.error ?? `HTTP ${res.statusCode}`));
      });
    });
    req.on("error", (e: NodeJS.ErrnoException) =>
      reject(e.code === "ENOENT" || e.code === "ECONNREFUSED" ? new Error(`no sim agent is running with state dir ${stateDir}`) : e),
    );
    req.end();
  });
}
