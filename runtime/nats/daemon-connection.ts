// How a daemon (agent, controller) keeps its NATS connection: it waits for
// the first connection, reconnects forever with the given delays, and never
// lets a refusal end the reconnecting. nats.js otherwise closes the
// connection for good after two authentication errors in a row, and an
// "Authentication Timeout" is one: a server too busy to read the client's
// CONNECT in time (e.g. a node killed and its clients all reconnecting to
// the others at once) would leave a host disconnected until restarted.

import type { ConnectionOptions } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { ConnectRetry } from "./connect.ts";

/** `reconnectDelay` gives each wait between attempts; without it, nats.js's fixed wait (2 s). */
export function daemonConnectionOptions(reconnectDelay?: () => number): Partial<ConnectionOptions> {
  return { maxReconnectAttempts: -1, waitOnFirstConnect: true, ignoreAuthErrorAbort: true, ...(reconnectDelay ? { reconnectDelayHandler: reconnectDelay } : {}) };
}

/** Logs each failed first connection (connectNats's onRetry): a daemon waiting for NATS says why. */
export function logConnectRetries(log: Logger): (retry: ConnectRetry) => void {
  return ({ reason, attempt, delayMs }) => log.warn({ err: reason, attempt, retryInMs: delayMs }, "cannot connect to NATS yet; retrying");
}
