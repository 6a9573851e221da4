// Reconnect delays for a daemon's NATS connection (option
// `reconnectDelayHandler`): capped exponential backoff with jitter, so a
// fleet of agents does not reconnect in lockstep after a server restart.

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 5_000;

/** The wait after `failures` failed attempts in a row (1, 2, …): 100 ms, 200 ms, … up to 5 s, ±20 % jitter. */
export function reconnectDelayMs(failures: number): number {
  const base = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (failures - 1));
  return Math.round(base * (0.8 + 0.4 * Math.random()));
}

/** Those delays one after another (nats.js's reconnectDelayHandler); reset() after a successful reconnect. */
export function reconnectBackoff(): { next: () => number; reset: () => void } {
  let failures = 0;
  return {
    next: () => reconnectDelayMs(++failures),
    reset: () => {
      failures = 0;
    },
  };
}
