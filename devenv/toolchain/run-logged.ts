// Runs one build step with its output going to a log file, and says on the
// console that it is still alive: a heartbeat line with the elapsed time and
// the last thing the step printed, so a 15-minute Go build is never silent.

import { spawn } from "node:child_process";
import { appendFileSync, closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { dirname } from "node:path";

export interface LoggedStep {
  label: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  log: (line: string) => void;
  heartbeatMs?: number;
}

export async function runLogged(step: LoggedStep): Promise<void> {
  mkdirSync(dirname(step.logFile), { recursive: true });
  appendFileSync(step.logFile, `\n$ (cd ${step.cwd} && ${[step.command, ...step.args].join(" ")})\n`);
  const fd = openSync(step.logFile, "a");
  const started = Date.now();
  const child = spawn(step.command, step.args, { cwd: step.cwd, env: step.env, stdio: ["ignore", fd, fd] });
  const heartbeat = setInterval(() => {
    const last = lastLine(step.logFile);
    step.log(`${step.label}: still running, ${formatDuration(Date.now() - started)} elapsed${last ? ` (last: ${last})` : ""}`);
  }, step.heartbeatMs ?? 30_000);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (c) => resolve(c));
    });
    if (code !== 0) {
      throw new Error(
        `${step.label} failed (exit ${code}) after ${formatDuration(Date.now() - started)}; ` +
          `log: ${step.logFile}\n--- last lines ---\n${tailLines(step.logFile, 25)}`,
      );
    }
  } finally {
    clearInterval(heartbeat);
    closeSync(fd);
  }
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

export function tailLines(file: string, count: number): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-count).join("\n");
  } catch {
    return "(no log)";
  }
}

function lastLine(file: string): string {
  return tailLines(file, 1).slice(0, 120);
}
