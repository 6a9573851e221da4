// What the agent says when the NATS server does not accept its identity: an
// unknown nkey (Authorization Violation) or the seed of another host, or one
// without this host's permissions (Permissions Violation on its own
// subjects). Either way nothing the agent does can work, so it names the
// host, the identity and the refused subject instead of retrying forever.
// An authentication timeout is no refusal (runtime/nats/authentication-timeout.ts).

import { fromSeed } from "@nats-io/nkeys";
import { PermissionViolationError } from "@nats-io/transport-node";
import { isIdentityRefused } from "../runtime/nats/authentication-timeout.ts";
import { readSeed } from "../runtime/nkey-seed.ts";

export class CredentialsError extends Error {
  override name = "CredentialsError";
}

/** The identity an agent connects with, for messages (read once: the file may change while it runs). */
export function describeIdentity(seedFile: string | undefined): string {
  if (!seedFile) return "no --nats-seed-file, so no identity";
  return `nkey seed file ${seedFile}, public key ${fromSeed(readSeed(seedFile)).getPublicKey()}`;
}

/** The error explained when it says the server refused this host's identity; undefined for any other error. */
export function credentialsError(err: unknown, hostId: string, identity: string): CredentialsError | undefined {
  const hint = `give the agent the seed made for host ${hostId} (cpuidctl nats config --hosts … ${hostId} writes hosts/<token>.nk)`;
  if (isIdentityRefused(err)) {
    return new CredentialsError(`the NATS server refused host ${hostId}'s credentials (${identity}): ${err.message}; ${hint}`);
  }
  if (err instanceof PermissionViolationError) {
    return new CredentialsError(
      `the NATS server denies host ${hostId}'s identity (${identity}) ${err.operation} to "${err.subject}": it is another host's identity or lacks this host's permissions; ${hint}`,
    );
  }
  return undefined;
}
