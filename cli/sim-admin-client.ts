// Client of a sim-backend agent's admin socket (shared/schemas/sim-admin.ts),
// used by `cpuidctl sim …`, the demo, the benchmarks and the tests.

import { request } from "node:http";
import { decodeJson } from "../shared/schemas/decode-json.ts";
import type { FindingJson } from "../shared/schemas/finding.ts";
import { SimAdminError, SimAdminReply, simAdminRoute, simSocketPath, type SimAdminCall } from "../shared/schemas/sim-admin.ts";

/** The agent refused the call; `findings` when its own audit refused an incoming domain's policy. */
export class SimAdminRefusal extends Error {
  override name = "SimAdminRefusal";
  readonly findings: FindingJson[];
  constructor(message: string, findings: FindingJson[] = []) {
    super(message);
    this.findings = findings;
  }
}

export function simAdmin(stateDir: string, action: SimAdminCall["action"], domain?: string, guestType?: SimAdminCall["guestType"]): Promise<SimAdminReply> {
  return simAdminCall(stateDir, { action, domain, guestType });
}

export function simAdminCall(stateDir: string, call: SimAdminCall): Promise<SimAdminReply> {
  const { method, path } = simAdminRoute(call);
  const body = call.body === undefined ? undefined : JSON.stringify(call.body);
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) };
    const req = request({ socketPath: simSocketPath(stateDir), path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (d: Buffer) => chunks.push(d));
      res.on("end", () => {
        const body = Buffer.concat(chunks);
        if (res.statusCode === 200) {
          const reply = decodeJson(SimAdminReply, body);
          if (reply.success) resolve(reply.data);
          else reject(unexpected(res.statusCode, reply.error.issues[0].message));
          return;
        }
        const error = decodeJson(SimAdminError, body);
        reject(error.success ? new SimAdminRefusal(error.data.error, error.data.findings) : unexpected(res.statusCode, error.error.issues[0].message));
      });
    });
    req.on("error", (e: NodeJS.ErrnoException) =>
      reject(e.code === "ENOENT" || e.code === "ECONNREFUSED" ? new Error(`no sim agent is running with state dir ${stateDir}`) : e),
    );
    req.end(body);
  });
}

function unexpected(status: number | undefined, issue: string): Error {
  return new Error(`the sim agent answered HTTP ${status} with an unexpected body: ${issue}`);
}
