// The sim backend's admin surface (protocol: shared/schemas/sim-admin.ts).
// HTTP on a unix socket in the state directory (mode 0600), so only local
// users who may read the state dir can use it, and no NATS identity, not even
// the controller's, can create or start domains.

import { chmodSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Logger } from "pino";
import { decodeJson } from "../shared/schemas/decode-json.ts";
import type { FindingJson } from "../shared/schemas/finding.ts";
import { parseSimAdminRoute, SimMigratingDomain, simSocketPath, type SimAdminCall, type SimAdminReply } from "../shared/schemas/sim-admin.ts";
import { auditIncoming, type IncomingAudit } from "./incoming-domain.ts";
import { BackendRefusal, domainInfo, type DomainRecord } from "./backends/backend.ts";
import type { SimBackend } from "./backends/sim.ts";

/** an incoming domain carries at most two policies of Xen's maximum size */
const MAX_BODY_BYTES = 1 << 20;

/** The host's own audit refused an incoming domain's policies. */
class ImportRefused extends BackendRefusal {
  readonly findings: FindingJson[];
  constructor(message: string, findings: FindingJson[]) {
    super(message);
    this.findings = findings;
  }
}

/**
 * `onChange` is told the name of each domain an admin request created,
 * started, stopped, destroyed or imported; `audit` is the host's own check of
 * an incoming domain's policies against its max.
 */
export async function startSimAdmin(stateDir: string, sim: SimBackend, log: Logger, onChange: (domain: string) => void, audit: IncomingAudit): Promise<Server> {
  const path = simSocketPath(stateDir);
  rmSync(path, { force: true });
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
    const route = parseSimAdminRoute(req.method, req.url);
    if ("error" in route) {
      send(400, { error: route.error });
      return;
    }
    readBody(req)
      .then((body) => withBody(route, body))
      .then((call) => act(call, sim, audit))
      .then(
        (result) => {
          if (route.action !== "list" && route.action !== "export") {
            log.info({ admin: `${req.method} ${req.url}` }, "sim domain changed");
            onChange(route.domain!);
          }
          send(200, result);
        },
        (e: Error) =>
          e instanceof BadRequest
            ? send(400, { error: e.message })
            : send(e instanceof BackendRefusal ? 409 : 500, { error: e.message, ...(e instanceof ImportRefused ? { findings: e.findings } : {}) }),
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

class BadRequest extends Error {}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (d: Buffer) => {
      size += d.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BadRequest(`request body over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
      } else chunks.push(d);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function withBody(call: SimAdminCall, body: Buffer): SimAdminCall {
  if (call.action !== "import") return call;
  const parsed = decodeJson(SimMigratingDomain, body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BadRequest(`import body: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  if (parsed.data.domain !== call.domain) throw new BadRequest(`import body names domain ${parsed.data.domain}, the path ${call.domain}`);
  return { ...call, body: parsed.data };
}

async function act(call: SimAdminCall, sim: SimBackend, audit: IncomingAudit): Promise<SimAdminReply> {
  const domain = call.domain!;
  switch (call.action) {
    case "export": {
      const d = await sim.exportDomain(domain);
      return { ...domainInfo(d, true), state: d.state as "paused" | "running", guestType: d.guestType ?? "hvm", creationFinished: d.creationFinished };
    }
    case "import": {
      const { record, findings } = auditIncoming(call.body!, audit);
      if (findings.length) throw new ImportRefused(`this host's own audit refuses domain ${domain}'s policy: ${findings.length} finding(s) against its ${record.guestType} max`, findings);
      return summary(await sim.adopt(record));
    }
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
