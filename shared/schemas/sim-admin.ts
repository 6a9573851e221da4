// The sim backend's admin protocol: what `xl create/unpause/shutdown/destroy`
// are on a real Xen host, spoken as HTTP over a unix socket in the agent's
// state directory (agent/sim-admin.ts serves it, cli/sim-admin-client.ts
// calls it).
//
//   GET    /domains                       list
//   POST   /domains/<name>/create[?type=pv|hvm]
//   POST   /domains/<name>/start[?type=pv|hvm]
//   POST   /domains/<name>/stop
//   DELETE /domains/<name>
//   GET    /domains/<name>/export         the domain as it migrates (SimMigratingDomain)
//   POST   /domains/<name>/import         body SimMigratingDomain: take in a migrating domain
//
// Success is HTTP 200 with SimAdminReply; failure another status with
// SimAdminError (an import the host's own audit refuses: 409 with findings).
// `cpuidctl sim migrate` is export, import on the destination, then destroy
// on the source, the steps of `xl migrate`.

import { join } from "node:path";
import { z } from "zod";
import { DomainInfo, DomainInfoSummary, DomainName } from "./agent-messages.ts";
import { FindingJson } from "./finding.ts";
import { GuestType } from "./guest.ts";

export const SIM_SOCKET = "sim.sock";

export function simSocketPath(stateDir: string): string {
  return join(stateDir, SIM_SOCKET);
}

export const SimAction = z.enum(["create", "start", "stop", "destroy", "list", "export", "import"]);
export type SimAction = z.infer<typeof SimAction>;

export interface SimAdminCall {
  action: SimAction;
  /** every action but list names a domain */
  domain?: string;
  /** create and start only: the guest type of a domain they create */
  guestType?: GuestType;
  /** import only: the domain coming in */
  body?: SimMigratingDomain;
}

/**
 * A live domain on its way between hosts: its state, its policies (the one it
 * runs with, and one staged for its next start) and their provenance, as the
 * migration stream carries a domain's CPU policy in Xen.
 */
export const SimMigratingDomain = DomainInfo.extend({
  state: z.enum(["paused", "running"]),
  guestType: GuestType,
  /** Xen's creation_finished: whether the domain was ever unpaused */
  creationFinished: z.boolean(),
});
export type SimMigratingDomain = z.infer<typeof SimMigratingDomain>;

export interface SimAdminRoute {
  method: "GET" | "POST" | "DELETE";
  /** path and query */
  path: string;
}

export function simAdminRoute(call: SimAdminCall): SimAdminRoute {
  if (call.action === "list") return { method: "GET", path: "/domains" };
  const domainPath = `/domains/${encodeURIComponent(call.domain ?? "")}`;
  if (call.action === "destroy") return { method: "DELETE", path: domainPath };
  if (call.action === "export") return { method: "GET", path: `${domainPath}/export` };
  return { method: "POST", path: `${domainPath}/${call.action}${call.guestType ? `?type=${call.guestType}` : ""}` };
}

/** The call a request stands for, or why it stands for none. */
export function parseSimAdminRoute(method: string | undefined, pathAndQuery: string | undefined): SimAdminCall | { error: string } {
  const url = new URL(pathAndQuery ?? "/", "http://sim");
  const parts = url.pathname.split("/").filter(Boolean);
  if (method === "GET" && url.pathname === "/domains") return { action: "list" };
  if (parts[0] !== "domains" || parts.length < 2) return { error: `no such admin path ${url.pathname}` };
  const name = DomainName.safeParse(decodeURIComponent(parts[1]));
  if (!name.success) return { error: `bad domain name: ${name.error.issues[0].message}` };
  const typeParam = url.searchParams.get("type");
  const type = typeParam === null ? undefined : GuestType.safeParse(typeParam);
  if (type && !type.success) return { error: "type must be pv or hvm" };
  if (method === "DELETE" && parts.length === 2) return { action: "destroy", domain: name.data };
  if (method === "GET" && parts.length === 3 && parts[2] === "export") return { action: "export", domain: name.data };
  const verb = SimAction.exclude(["list", "destroy", "export"]).safeParse(parts[2]);
  if (method === "POST" && parts.length === 3 && verb.success) {
    return { action: verb.data, domain: name.data, ...(type && (verb.data === "create" || verb.data === "start") ? { guestType: type.data } : {}) };
  }
  return { error: `no such admin operation ${method} ${url.pathname}` };
}

export const SimAdminReply = z.union([z.array(DomainInfoSummary), SimMigratingDomain, DomainInfoSummary, z.object({ ok: z.literal(true) })]);
export type SimAdminReply = z.infer<typeof SimAdminReply>;

export const SimAdminError = z.object({ error: z.string(), findings: z.array(FindingJson).optional() });
