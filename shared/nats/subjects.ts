// Host ids as NATS subject tokens and JetStream KV keys, and the subjects and
// names every component agrees on (DESIGN.md §4). Pure: no I/O.
//
// A host id that is already a safe token (letters, digits, `_`, `-`) is used as
// is. Anything else becomes `=` + base64url(utf-8) without padding. A plain
// token never starts with `=`, so decoding is unambiguous, and both forms are
// valid as one subject token and as a KV key (`^[-/=.\w]+$`).

export const HOSTS_BUCKET = "cpuid-hosts";
export const HOSTS_STREAM = `KV_${HOSTS_BUCKET}`;
export const HOST_SUBJECT_ROOT = "cpuid.v1.host";

export type HostOperation = "set" | "get" | "domains";

const PLAIN_TOKEN = /^[A-Za-z0-9_-]+$/;
const ENCODED_TOKEN = /^=[A-Za-z0-9_-]+$/;
const ENCODED_PREFIX = "=";

export function hostToken(hostId: string): string {
  if (hostId.length === 0) throw new Error("host id must not be empty");
  if (!hostId.isWellFormed()) throw new Error(`host id is not well-formed Unicode: ${JSON.stringify(hostId)}`);
  if (PLAIN_TOKEN.test(hostId)) return hostId;
  return ENCODED_PREFIX + Buffer.from(hostId, "utf8").toString("base64url");
}

export function hostIdFromToken(token: string): string {
  if (PLAIN_TOKEN.test(token)) return token;
  if (!ENCODED_TOKEN.test(token)) throw new Error(`not a host token: ${JSON.stringify(token)}`);
  const bytes = Buffer.from(token.slice(ENCODED_PREFIX.length), "base64url");
  const hostId = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  if (hostToken(hostId) !== token) throw new Error(`not a canonical host token: ${JSON.stringify(token)}`);
  return hostId;
}

export function hostSubject(hostId: string, operation: HostOperation): string {
  return `${HOST_SUBJECT_ROOT}.${hostToken(hostId)}.${operation}`;
}

/** The subject a host's agent publishes its heartbeats on. */
export function heartbeatSubject(hostId: string): string {
  return `${HOST_SUBJECT_ROOT}.${hostToken(hostId)}.heartbeat`;
}

/** Every host's heartbeat: what the controller subscribes to. */
export const HEARTBEAT_SUBJECT_WILDCARD = `${HOST_SUBJECT_ROOT}.*.heartbeat`;

/** The subject a host's agent announces its domains' lifecycle changes on (created, started, stopped, destroyed). */
export function domainEventSubject(hostId: string): string {
  return `${HOST_SUBJECT_ROOT}.${hostToken(hostId)}.domain-event`;
}

/** Every host's domain events: what the controller subscribes to. */
export const DOMAIN_EVENT_SUBJECT_WILDCARD = `${HOST_SUBJECT_ROOT}.*.domain-event`;

/** Everything addressed to one host: what that host's identity may subscribe to. */
export function hostSubjectWildcard(hostId: string): string {
  return `${HOST_SUBJECT_ROOT}.${hostToken(hostId)}.>`;
}

/** Requests to any host: what the controller may publish. */
export const ALL_HOSTS_SUBJECT_WILDCARD = `${HOST_SUBJECT_ROOT}.*.>`;

/** KV key of a host in the `cpuid-hosts` bucket. */
export function hostKey(hostId: string): string {
  return hostToken(hostId);
}

/** Subject a KV put of the host's key is published on. */
export function hostKeySubject(hostId: string): string {
  return `$KV.${HOSTS_BUCKET}.${hostKey(hostId)}`;
}

/**
 * The inbox prefix a host's connection must use (client option `inboxPrefix`),
 * so that replies to it land where no other host may subscribe.
 */
export function hostInboxPrefix(hostId: string): string {
  return `_INBOX_${hostToken(hostId)}`;
}
