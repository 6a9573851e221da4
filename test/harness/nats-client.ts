// Connecting to the plane's nats-server as one of its identities, with the
// inbox prefix that identity's permissions require.

import { connect, type ConnectionOptions, type NatsConnection, nkeyAuthenticator } from "@nats-io/transport-node";
import { Kvm, type KV } from "@nats-io/kv";
import { hostSeedFile, serviceSeedFile, type ServiceIdentity } from "../../shared/nats/credentials-layout.ts";
import { HOSTS_BUCKET_CONFIG } from "../../shared/nats/hosts-bucket.ts";
import { HOSTS_BUCKET, hostInboxPrefix } from "../../shared/nats/subjects.ts";
import { readSeed } from "./nats-identities.ts";

export type NatsIdentity = ServiceIdentity | { host: string };

export function natsConnectOptions(natsUrl: string, credsDir: string, identity: NatsIdentity): ConnectionOptions {
  const isHost = typeof identity !== "string";
  const seedFile = isHost ? hostSeedFile(credsDir, identity.host) : serviceSeedFile(credsDir, identity);
  return {
    servers: natsUrl,
    name: isHost ? `host:${identity.host}` : identity,
    authenticator: nkeyAuthenticator(readSeed(seedFile)),
    ...(isHost ? { inboxPrefix: hostInboxPrefix(identity.host) } : {}),
  };
}

export function connectAs(
  natsUrl: string,
  credsDir: string,
  identity: NatsIdentity,
  extra: Partial<ConnectionOptions> = {},
): Promise<NatsConnection> {
  return connect({ ...natsConnectOptions(natsUrl, credsDir, identity), ...extra });
}

/** Creates the `cpuid-hosts` bucket (idempotent for the same configuration). */
export function createHostsBucket(nc: NatsConnection): Promise<KV> {
  return new Kvm(nc).create(HOSTS_BUCKET, { ...HOSTS_BUCKET_CONFIG });
}

/** Binds to the existing bucket without any JetStream API call. */
export function openHostsBucket(nc: NatsConnection): Promise<KV> {
  return new Kvm(nc).open(HOSTS_BUCKET, { allow_direct: HOSTS_BUCKET_CONFIG.allow_direct });
}
