// Connecting to NATS as one fleet identity: its nkey seed (validated by
// readSeed) and, for a host, the inbox prefix its permissions require
// (shared/nats/subjects.ts), so that replies to it land where no other host
// may subscribe. Every NATS client of the project (agent, controller,
// cpuidctl, the local plane, tests, benchmarks) connects through here.
//
// The NatsConnection itself is returned: callers follow `nc.status()` for
// disconnects, reconnects and errors, and choose their reconnect policy
// through `options`.

import { connect, type ConnectionOptions, type NatsConnection, nkeyAuthenticator } from "@nats-io/transport-node";
import { hostSeedFile, serviceSeedFile, type ServiceIdentity } from "../../shared/nats/credentials-layout.ts";
import { hostInboxPrefix } from "../../shared/nats/subjects.ts";
import { readSeed } from "../nkey-seed.ts";

export interface NatsClient {
  /** server URLs, or one string of comma-separated URLs */
  servers: string | readonly string[];
  /** client name the server reports (connz) */
  name: string;
  /** nkey user seed file; unset = connect without authentication */
  seedFile?: string;
  /** set when connecting as this host's identity: the connection uses the host's inbox prefix */
  hostId?: string;
  /** further client options: reconnect policy, timeouts */
  options?: Partial<ConnectionOptions>;
}

export function connectNats(client: NatsClient): Promise<NatsConnection> {
  const servers = typeof client.servers === "string" ? client.servers.split(",").map((s) => s.trim()).filter(Boolean) : [...client.servers];
  return connect({
    ...client.options,
    servers,
    name: client.name,
    ...(client.hostId !== undefined ? { inboxPrefix: hostInboxPrefix(client.hostId) } : {}),
    ...(client.seedFile ? { authenticator: nkeyAuthenticator(readSeed(client.seedFile)) } : {}),
  });
}

/** An identity whose seed is in a credentials directory (shared/nats/credentials-layout.ts). */
export type NatsIdentity = ServiceIdentity | { host: string };

/** Connects as `identity` with its seed from `credsDir`. */
export function connectAs(natsUrl: string, credsDir: string, identity: NatsIdentity, options: Partial<ConnectionOptions> = {}): Promise<NatsConnection> {
  if (typeof identity === "string") return connectNats({ servers: natsUrl, name: identity, seedFile: serviceSeedFile(credsDir, identity), options });
  const { host } = identity;
  return connectNats({ servers: natsUrl, name: `host:${host}`, seedFile: hostSeedFile(credsDir, host), hostId: host, options });
}
