// Runs the provider (provide.ts) as a detached process and relays its output.
// A build outlives the run that asked for it: if a test run is killed (a
// timeout, Ctrl-C), the build goes on, and the next run waits for it through
// the cache lock instead of starting again from scratch.

import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { REPO_ROOT } from "../repo-root.ts";
import type { BinaryName } from "./binaries.ts";

const PROVIDER_ENTRY = join(import.meta.dirname, "ensure.ts");
const REPO_NODE = join(REPO_ROOT, "node_modules", ".bin", "node");

export function providerLogFile(root: string): string {
  return join(root, "build", "logs", "provide.log");
}

export async function provideInBackground(names: readonly BinaryName[], root: string, log: (line: string) => void): Promise<void> {
  const logFile = providerLogFile(root);
  mkdirSync(dirname(logFile), { recursive: true });
  let offset = existsSync(logFile) ? statSync(logFile).size : 0;
  const out = openSync(logFile, "a");
  // Type stripping needs Node >= 22.18; the repo pins Node 24 in node_modules.
  const node = existsSync(REPO_NODE) ? REPO_NODE : process.execPath;
  const child = spawn(node, [PROVIDER_ENTRY, "--provide", ...names], {
    detached: true,
    stdio: ["ignore", out, out],
    env: { ...process.env, CPUID_FLEET_CACHE: root },
  });
  closeSync(out);
  log(`providing ${names.join(", ")} in the background (pid ${child.pid}; it continues if this run stops; log ${logFile})`);
  let exitCode: number | string | null | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once("error", (err) => {
      exitCode = err.message;
      resolve();
    });
    child.once("exit", (code) => {
      exitCode = code;
      resolve();
    });
  });
  while (exitCode === undefined) {
    offset = relayNewLines(logFile, offset, log);
    await Promise.race([sleep(500), exited]);
  }
  relayNewLines(logFile, offset, log);
  if (exitCode !== 0) throw new Error(`providing ${names.join(", ")} failed (${exitCode}); see ${logFile}`);
}

function relayNewLines(file: string, offset: number, log: (line: string) => void): number {
  const size = statSync(file).size;
  if (size <= offset) return offset;
  const fd = openSync(file, "r");
  try {
    const buf = Buffer.alloc(size - offset);
    readSync(fd, buf, 0, buf.length, offset);
    const text = buf.toString("utf8");
    const complete = text.lastIndexOf("\n") + 1;
    for (const line of text.slice(0, complete).split("\n")) if (line) log(line);
    return offset + Buffer.byteLength(text.slice(0, complete));
  } finally {
    closeSync(fd);
  }
}
