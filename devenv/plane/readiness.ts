// Waiting for a started server to become ready: poll a probe until it passes,
// fail early if the process died, and put the tail of its log (and why the
// last probe failed, when it threw) into the error.

import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import { isProcessAlive } from "../toolchain/process-liveness.ts";
import { formatDuration, tailLines } from "../toolchain/run-logged.ts";

export interface ReadinessWait {
  what: string;
  pid: number;
  logFile: string;
  timeoutMs: number;
  intervalMs?: number;
  /** true when ready; false or an error (whose message the failure reports) when not */
  probe: () => Promise<boolean>;
}

const LOG_TAIL_LINES = 40;

export async function waitUntilReady(wait: ReadinessWait): Promise<void> {
  const started = Date.now();
  let lastFailure = "";
  const probe = () =>
    wait.probe().catch((err: unknown) => {
      lastFailure = ` (last check: ${err instanceof Error ? err.message : String(err)})`;
      return false;
    });
  for (;;) {
    if (!isProcessAlive(wait.pid)) throw readinessError(wait, `exited before it was ready`);
    if (await probe()) return;
    if (Date.now() - started > wait.timeoutMs) {
      throw readinessError(wait, `not ready after ${formatDuration(wait.timeoutMs)}${lastFailure}`);
    }
    await sleep(wait.intervalMs ?? 100);
  }
}

function readinessError(wait: ReadinessWait, problem: string): Error {
  return new Error(
    `${wait.what} (pid ${wait.pid}) ${problem}; log ${wait.logFile}:\n` + tailLines(wait.logFile, LOG_TAIL_LINES),
  );
}

export interface HttpResult {
  status: number;
  body: string;
}

export interface TlsOptions {
  ca?: string;
  cert?: string;
  key?: string;
}

/** One GET with a short timeout; https URLs verify against `tls.ca`. */
export function httpGet(url: string, tls: TlsOptions = {}, timeoutMs = 2_000): Promise<HttpResult> {
  const request = url.startsWith("https:") ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "GET", timeout: timeoutMs, ...tls }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on("error", reject);
    req.end();
  });
}
