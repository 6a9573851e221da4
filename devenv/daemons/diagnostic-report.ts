// Why a daemon that runs but never became ready is stuck: Node's diagnostic
// report (--report-on-signal, SIGUSR2), reduced to what shows where a start
// waits: the open sockets and their peers, the pending timers and the
// JavaScript stack at the signal. The launched daemons run
// with the report enabled (DaemonProcess); the report file stays beside the
// daemon's log.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** NODE_OPTIONS flags that let SIGUSR2 write a report into `dir` */
export function reportOnSignalOptions(dir: string): string {
  return `--report-on-signal --report-directory=${dir}`;
}

interface LibuvHandle {
  type: string;
  is_active?: boolean;
  is_referenced?: boolean;
  localEndpoint?: { host?: string; port?: number } | null;
  remoteEndpoint?: { host?: string; port?: number } | null;
  firesInMsFromNow?: number;
}

interface Report {
  javascriptStack?: { message?: string; stack?: string[] };
  libuv?: LibuvHandle[];
}

/** Signals `pid` for a report into `dir` and summarises it; a note saying so when none came. */
export async function captureDiagnosticReport(pid: number, dir: string, waitMs = 5_000): Promise<string> {
  const before = new Set(reportFiles(dir));
  try {
    process.kill(pid, "SIGUSR2");
  } catch (err) {
    return `no diagnostic report: ${(err as Error).message}`;
  }
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    const file = reportFiles(dir).find((f) => !before.has(f));
    if (file) {
      await sleep(200); // written in one go, but give the writer its close
      try {
        return summariseReport(JSON.parse(readFileSync(join(dir, file), "utf8")) as Report, join(dir, file));
      } catch (err) {
        return `diagnostic report ${join(dir, file)} unreadable: ${(err as Error).message}`;
      }
    }
    await sleep(100);
  }
  return `no diagnostic report in ${dir} within ${waitMs} ms of SIGUSR2`;
}

function reportFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.startsWith("report.") && f.endsWith(".json"));
  } catch {
    return [];
  }
}

const endpoint = (e: LibuvHandle["localEndpoint"]) => (e ? `${e.host}:${e.port}` : "-");

function summariseReport(report: Report, file: string): string {
  const handles = (report.libuv ?? []).filter((h) => h.is_active);
  const lines = handles.map((h) =>
    h.type === "tcp"
      ? `tcp ${endpoint(h.localEndpoint)} -> ${endpoint(h.remoteEndpoint)}${h.is_referenced ? "" : " (unref)"}`
      : `${h.type}${h.firesInMsFromNow !== undefined ? ` fires in ${h.firesInMsFromNow} ms` : ""}${h.is_referenced ? "" : " (unref)"}`,
  );
  const stack = report.javascriptStack?.stack?.slice(0, 8).map((s) => `  ${s.trim()}`) ?? [];
  return [`diagnostic report ${file}: active libuv handles:`, ...lines.map((l) => `  ${l}`), `JavaScript stack (${report.javascriptStack?.message ?? ""}):`, ...stack].join("\n");
}
