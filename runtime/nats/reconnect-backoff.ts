// Reconnect delays for a daemon's NATS connection (option
// `reconnectDelayHandler`): capped exponential backoff with jitter, so a
// fleet of agents does not reconnect in lockstep after a server restart.

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
