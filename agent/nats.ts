// The agent's NATS connection: this host's nkey identity, its own inbox prefix
// (so replies to it land where no other host may subscribe), and reconnection
// forever with capped exponential backoff.

import { connect, nkeyAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { hostInboxPrefix } from "../shared/nats/subjects.ts";
import { readSeed } from "../runtime/nkey-seed.ts";

export interface AgentConnectionOptions {
  servers: string[];
  hostId: string;
  nkeySeedFile?: string;
}

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 5_000;

/** Delays 100 ms, 200 ms, … up to 5 s, ±20 % jitter; reset() after a successful reconnect. */
export function reconnectBackoff(): { next: () => number; reset: () => void } {
  let attempt = 0;
  return {
    next: () => {
      const base = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** attempt++);
      return Math.round(base * (0.8 + 0.4 * Math.random()));
    },
    reset: () => {
      attempt = 0;
    },
  };
}


export async function connectAgent(opts: AgentConnectionOptions, backoff = reconnectBackoff()): Promise<NatsConnection> {
  return connect({
    servers: opts.servers,
    name: `cpuid-fleet-agent/${opts.hostId}`,
    inboxPrefix: hostInboxPrefix(opts.hostId),
    ...(opts.nkeySeedFile ? { authenticator: nkeyAuthenticator(readSeed(opts.nkeySeedFile)) } : {}),
    maxReconnectAttempts: -1,
    waitOnFirstConnect: true,
    reconnectDelayHandler: backoff.next,
    pingInterval: 10_000,
    maxPingOut: 3,
  });
}
