// The apiserver's own count of write requests (apiserver_request_total, verbs
// POST/PATCH/PUT/DELETE/APPLY), by resource and subresource: what each
// reconciled policy costs the apiserver; refused ones (by status code) apart.

import { request } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";

const WRITE_VERBS = new Set(["POST", "PATCH", "PUT", "DELETE", "APPLY"]);
const SAMPLE = /^apiserver_request_total\{([^}]*)\} (\S+)$/gm;

export type WriteCounts = Map<string, number>;

export async function apiserverWrites(kc: KubeConfig): Promise<WriteCounts> {
  const opts: { ca?: Buffer; cert?: Buffer; key?: Buffer; headers?: Record<string, string> } = {};
  await kc.applyToHTTPSOptions(opts);
  const server = new URL(kc.getCurrentCluster()!.server);
  const text = await new Promise<string>((resolve, reject) => {
    const req = request({ hostname: server.hostname, port: server.port, path: "/metrics", ca: opts.ca, cert: opts.cert, key: opts.key, headers: opts.headers }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d)).on("end", () => resolve(body));
    });
    req.on("error", reject).end();
  });
  const counts: WriteCounts = new Map();
  for (const [, labelText, value] of text.matchAll(SAMPLE)) {
    const labels = Object.fromEntries([...labelText.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!WRITE_VERBS.has(labels.verb)) continue;
    // refused writes (e.g. 409 Conflict) cost the apiserver too: counted apart
    const refused = labels.code && !labels.code.startsWith("2") ? ` (refused: ${labels.code})` : "";
    const key = `${labels.verb.toLowerCase()} ${labels.resource}${labels.subresource ? `/${labels.subresource}` : ""}${refused}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(value));
  }
  return counts;
}

/** after − before, largest first, without the keys that did not change */
export function writesBetween(before: WriteCounts, after: WriteCounts): [string, number][] {
  return [...after].map(([k, v]): [string, number] => [k, v - (before.get(k) ?? 0)]).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
}
