// nats.js reports the server's "Authentication Timeout" (the client's CONNECT
// did not arrive within the server's authorization timeout) as an
// AuthorizationError, like a refused identity; it says nothing about the
// credentials, only that the client or the server was too slow, so it is
// retried rather than reported as a refusal.

import { AuthorizationError } from "@nats-io/transport-node";

export function isAuthenticationTimeout(err: unknown): boolean {
  return err instanceof AuthorizationError && /authentication timeout/i.test(err.message);
}

/** The server refused the identity itself: retrying with the same credentials cannot help. */
export function isIdentityRefused(err: unknown): err is AuthorizationError {
  return err instanceof AuthorizationError && !isAuthenticationTimeout(err);
}
