// The `cpuid-hosts` KV bucket as every client opens it. Opening binds without
// asking the server, so each client must pass the bucket's `allow_direct`
// itself (shared/nats/hosts-bucket.ts says why hosts need direct gets).

import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { HOSTS_BUCKET_CONFIG } from "../../shared/nats/hosts-bucket.ts";
import { HOSTS_BUCKET } from "../../shared/nats/subjects.ts";

/** Binds to the existing bucket (no JetStream API call). */
export function openHostsBucket(nc: NatsConnection): Promise<KV> {
  return new Kvm(nc).open(HOSTS_BUCKET, { allow_direct: HOSTS_BUCKET_CONFIG.allow_direct });
}

/**
 * Creates the bucket, stored on `replicas` JetStream servers (1 for a single
 * nats-server); succeeds when it exists with the same configuration.
 */
export function createHostsBucket(nc: NatsConnection, replicas = 1): Promise<KV> {
  return new Kvm(nc).create(HOSTS_BUCKET, { ...HOSTS_BUCKET_CONFIG, replicas });
}

/**
 * Creates the bucket when missing, else binds to it as it is. `couldNotCreate`
 * hears why creating failed (usually: it exists with another configuration,
 * or this identity may not create it).
 */
export async function createOrOpenHostsBucket(nc: NatsConnection, replicas: number, couldNotCreate: (err: Error) => void): Promise<KV> {
  try {
    return await createHostsBucket(nc, replicas);
  } catch (err) {
    couldNotCreate(err as Error);
    return openHostsBucket(nc);
  }
}
