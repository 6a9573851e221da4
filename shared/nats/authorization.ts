// The nats-server `authorization { users: [...] }` block for the fleet:
// least-privilege permissions per identity. Pure: keys come in, config text
// comes out. Allow-lists only (no `deny`), see toolchain.md §4.3–4.4.

import {
  ALL_HOSTS_SUBJECT_WILDCARD,
  DOMAIN_EVENT_SUBJECT_WILDCARD,
  domainEventSubject,
  HEARTBEAT_SUBJECT_WILDCARD,
  heartbeatSubject,
  HOSTS_BUCKET,
  HOSTS_STREAM,
  hostInboxPrefix,
  hostKeySubject,
  hostSubjectWildcard,
} from "./subjects.ts";

export interface HostIdentity {
  hostId: string;
  /** nkey public user key (starts with `U`). */
  publicKey: string;
}

export interface FleetIdentities {
  hosts: readonly HostIdentity[];
  controllerPublicKey: string;
  adminPublicKey: string;
}

export interface Permissions {
  publish: { allow: string[] };
  subscribe: { allow: string[] };
  allow_responses?: boolean;
}

export interface NatsUser {
  nkey: string;
  permissions?: Permissions;
}

/**
 * A host may write and read its own KV key (put + direct get; the PubAck and
 * the get reply come back on its own inbox), publish its own heartbeats and
 * domain events, receive requests addressed to it,
 * and answer each request once (`allow_responses`). Nothing else: it can
 * neither read nor write another host's key or subjects, nor list the bucket.
 */
export function hostPermissions(hostId: string): Permissions {
  const keySubject = hostKeySubject(hostId);
  return {
    publish: {
      allow: [keySubject, `$JS.API.DIRECT.GET.${HOSTS_STREAM}.${keySubject}`, heartbeatSubject(hostId), domainEventSubject(hostId)],
    },
    subscribe: {
      allow: [hostSubjectWildcard(hostId), `${hostInboxPrefix(hostId)}.>`],
    },
    allow_responses: true,
  };
}

/**
 * The controller sends requests to any host and manages and watches the
 * `cpuid-hosts` bucket (create/update it, read, watch, delete stale keys). Its
 * JetStream API access is limited to that bucket's stream.
 */
export function controllerPermissions(): Permissions {
  return {
    publish: {
      allow: [
        ALL_HOSTS_SUBJECT_WILDCARD,
        "$JS.API.INFO",
        `$JS.API.STREAM.*.${HOSTS_STREAM}`,
        `$JS.API.STREAM.MSG.GET.${HOSTS_STREAM}`,
        `$JS.API.DIRECT.GET.${HOSTS_STREAM}`,
        `$JS.API.DIRECT.GET.${HOSTS_STREAM}.>`,
        `$JS.API.CONSUMER.CREATE.${HOSTS_STREAM}`,
        `$JS.API.CONSUMER.CREATE.${HOSTS_STREAM}.>`,
        `$JS.API.CONSUMER.*.${HOSTS_STREAM}.*`,
        `$JS.API.CONSUMER.MSG.NEXT.${HOSTS_STREAM}.*`,
        `$JS.FC.${HOSTS_STREAM}.>`,
        `$JS.ACK.${HOSTS_STREAM}.>`,
        `$KV.${HOSTS_BUCKET}.>`,
      ],
    },
    subscribe: { allow: ["_INBOX.>", HEARTBEAT_SUBJECT_WILDCARD, DOMAIN_EVENT_SUBJECT_WILDCARD] },
  };
}

export function fleetUsers(identities: FleetIdentities): NatsUser[] {
  const hostIds = new Set<string>();
  for (const { hostId } of identities.hosts) {
    if (hostIds.has(hostId)) throw new Error(`duplicate host id ${JSON.stringify(hostId)}`);
    hostIds.add(hostId);
  }
  const users: NatsUser[] = [
    { nkey: identities.adminPublicKey },
    { nkey: identities.controllerPublicKey, permissions: controllerPermissions() },
    ...identities.hosts.map((h) => ({ nkey: h.publicKey, permissions: hostPermissions(h.hostId) })),
  ];
  const keys = new Set<string>();
  for (const { nkey } of users) {
    if (!/^U[A-Z2-7]{55}$/.test(nkey)) throw new Error(`not an nkey user public key: ${JSON.stringify(nkey)}`);
    if (keys.has(nkey)) throw new Error(`nkey ${nkey} is used by more than one identity`);
    keys.add(nkey);
  }
  return users;
}

/**
 * nats-server configuration text for the `authorization` block. Every string
 * is JSON-quoted, which the server's config parser accepts verbatim (so `$`
 * in subjects is never read as a variable reference).
 */
/** `timeoutSeconds`: how long the server waits for a client's CONNECT (nats-server's default: 2 s). */
export function renderAuthorization(identities: FleetIdentities, timeoutSeconds?: number): string {
  const lines = ["authorization {", ...(timeoutSeconds === undefined ? [] : [`  timeout: ${timeoutSeconds}`]), "  users = ["];
  for (const user of fleetUsers(identities)) {
    lines.push(`    ${renderUser(user)}`);
  }
  lines.push("  ]", "}");
  return lines.join("\n") + "\n";
}

function renderUser(user: NatsUser): string {
  if (!user.permissions) return `{ nkey: ${q(user.nkey)} }`;
  const p = user.permissions;
  const parts = [
    `publish: { allow: ${list(p.publish.allow)} }`,
    `subscribe: { allow: ${list(p.subscribe.allow)} }`,
  ];
  if (p.allow_responses) parts.push("allow_responses: true");
  return `{ nkey: ${q(user.nkey)}, permissions: { ${parts.join(", ")} } }`;
}

function list(items: readonly string[]): string {
  return `[${items.map(q).join(", ")}]`;
}

function q(s: string): string {
  return JSON.stringify(s);
}
