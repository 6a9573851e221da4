// Connecting to NATS as one fleet identity: its nkey seed (validated by
// readSeed) and, for a host, the inbox prefix its permissions require
// (shared/nats/subjects.ts), so that replies to it land where no other host
// may subscribe. Every NATS client of the project (agent, controller,
// cpuidctl, the local plane, tests, benchmarks) connects through here.
//
// The NatsConnection itself is returned: callers follow `nc.status()` for
// disconnects, reconnects and errors, and choose their reconnect policy
// through `options`. With TLS (runtime/nats/tls.ts) a TLS failure rejects at
// once with a NatsTlsError, even for a daemon that waits for its first
// connection: a wrong CA or certificate never fixes itself. The handshake is
// checked first (tls-handshake-check.ts), as the client alone would report a
// refused client certificate as a timeout. A daemon's first connection is
// retried until it succeeds unless the server refuses the identity itself
// (an authentication timeout is retried: authentication-timeout.ts).

import { setTimeout as sleep } from "node:timers/promises";
import { connect, type ConnectionOptions, type NatsConnection, nkeyAuthenticator } from "@nats-io/transport-node";
import { hostSeedFile, serviceSeedFile, type ServiceIdentity } from "../../shared/nats/credentials-layout.ts";
import { hostInboxPrefix } from "../../shared/nats/subjects.ts";
import { tlsCaFiles, tlsHostFiles, tlsServiceFiles } from "../../shared/nats/tls-layout.ts";
import { readSeed } from "../nkey-seed.ts";
import { isIdentityRefused } from "./authentication-timeout.ts";
import { natsTlsError, tlsConnectionOptions, usesTls, type NatsTls } from "./tls.ts";
import { checkTlsHandshake } from "./tls-handshake-check.ts";

export interface NatsClient {
  /** server URLs, or one string of comma-separated URLs */
  servers: string | readonly string[];
  /** client name the server reports (connz) */
  name: string;
  /** nkey user seed file; unset = connect without authentication */
  seedFile?: string;
  /** set when connecting as this host's identity: the connection uses the host's inbox prefix */
  hostId?: string;
  /** CA, client certificate and key; unset = plaintext unless the server requires TLS */
  tls?: NatsTls;
  /** further client options: reconnect policy, timeouts */
  options?: Partial<ConnectionOptions>;
  /**
   * The wait after the `attempt`th failed first connection (with
   * waitOnFirstConnect); unset = options.reconnectTimeWait or nats.js's 2 s.
   * Not options.reconnectDelayHandler: nats.js calls that itself, once per
   * server it tries, inside every attempt.
   */
  retryDelayMs?: (attempt: number) => number;
  /** told of each failed first connection that will be retried (with waitOnFirstConnect) */
  onRetry?: (retry: ConnectRetry) => void;
}

export interface ConnectRetry {
  /** the attempt's error message */
  reason: string;
  /** 1 for the first failed attempt */
  attempt: number;
  delayMs: number;
}

/** nats.js's default reconnect wait */
const DEFAULT_RETRY_MS = 2_000;

export async function connectNats(client: NatsClient): Promise<NatsConnection> {
  const servers = typeof client.servers === "string" ? client.servers.split(",").map((s) => s.trim()).filter(Boolean) : [...client.servers];
  const options: ConnectionOptions = {
    ...client.options,
    ...tlsConnectionOptions(client.tls),
    servers,
    name: client.name,
    ...(client.hostId !== undefined ? { inboxPrefix: hostInboxPrefix(client.hostId) } : {}),
    ...(client.seedFile ? { authenticator: nkeyAuthenticator(readSeed(client.seedFile)) } : {}),
  };
  if (usesTls(client.tls)) {
    const problem = await checkTlsHandshake(servers, client.tls);
    if (problem) throw problem;
  }
  // one round over the servers at a time: nats.js's own waitOnFirstConnect
  // would retry a TLS failure forever and give up after two authentication timeouts
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect({ ...options, waitOnFirstConnect: false });
    } catch (err) {
      const tlsError = natsTlsError(err, client.tls);
      if (tlsError) throw tlsError;
      if (!options.waitOnFirstConnect || isIdentityRefused(err)) throw err;
      const delayMs = client.retryDelayMs?.(attempt) ?? options.reconnectTimeWait ?? DEFAULT_RETRY_MS;
      client.onRetry?.({ reason: err instanceof Error ? err.message : String(err), attempt, delayMs });
      await sleep(delayMs);
    }
  }
}

/** An identity whose seed is in a credentials directory (shared/nats/credentials-layout.ts). */
export type NatsIdentity = ServiceIdentity | { host: string };

export interface ConnectAsOptions {
  /** a TLS directory (shared/nats/tls-layout.ts): verify the server with its CA, present the identity's certificate */
  tlsDir?: string;
  options?: Partial<ConnectionOptions>;
}

/** Connects as `identity` with its seed from `credsDir` (and its certificate from `tlsDir`). */
export function connectAs(natsUrl: string, credsDir: string, identity: NatsIdentity, { tlsDir, options }: ConnectAsOptions = {}): Promise<NatsConnection> {
  const tls = tlsDir === undefined ? undefined : identityTls(tlsDir, identity);
  if (typeof identity === "string") return connectNats({ servers: natsUrl, name: identity, seedFile: serviceSeedFile(credsDir, identity), tls, options });
  const { host } = identity;
  return connectNats({ servers: natsUrl, name: `host:${host}`, seedFile: hostSeedFile(credsDir, host), hostId: host, tls, options });
}

function identityTls(tlsDir: string, identity: NatsIdentity): NatsTls {
  const own = typeof identity === "string" ? tlsServiceFiles(tlsDir, identity) : tlsHostFiles(tlsDir, identity.host);
  return { caFile: tlsCaFiles(tlsDir).cert, certFile: own.cert, keyFile: own.key };
}
