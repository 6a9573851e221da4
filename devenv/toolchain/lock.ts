// An exclusive lock file so that two test runs never build or unpack the same
// binary at once. The file records who holds it; a lock whose holder process
// is gone (same host) is stale and taken over.

import { mkdirSync, openSync, readFileSync, unlinkSync, writeSync, closeSync } from "node:fs";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isProcessAlive } from "./process-liveness.ts";

const UNREADABLE_LOCK_GRACE_MS = 5_000;

interface LockOwner {
  pid: number;
  host: string;
  since: string;
  purpose: string;
}

export interface LockOptions {
  purpose: string;
  log: (line: string) => void;
  pollMs?: number;
  reportEveryMs?: number;
}

export async function withFileLock<T>(path: string, options: LockOptions, body: () => Promise<T>): Promise<T> {
  await acquire(path, options);
  const releaseOnExit = () => release(path);
  process.once("exit", releaseOnExit);
  try {
    return await body();
  } finally {
    process.removeListener("exit", releaseOnExit);
    release(path);
  }
}

async function acquire(path: string, options: LockOptions): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString(), purpose: options.purpose };
  const started = Date.now();
  let lastReport = 0;
  let unreadableSince: number | undefined;
  for (;;) {
    if (tryCreate(path, me)) return;
    const holder = readOwner(path);
    if (holder === undefined) {
      // Vanished, or created and not yet written. Still unreadable after a
      // while means its writer died in between: remove it.
      unreadableSince ??= Date.now();
      if (Date.now() - unreadableSince > UNREADABLE_LOCK_GRACE_MS) {
        options.log(`removing unreadable lock ${path}`);
        removeIfStillUnreadable(path);
        unreadableSince = undefined;
      }
      await sleep(50);
      continue;
    }
    unreadableSince = undefined;
    if (isStale(holder)) {
      options.log(`removing stale lock ${path} (pid ${holder.pid} is gone)`);
      removeIfStillHeldBy(path, holder);
      continue;
    }
    const now = Date.now();
    if (now - lastReport >= (options.reportEveryMs ?? 30_000)) {
      lastReport = now;
      options.log(
        `waiting for ${path}: held by pid ${holder.pid} on ${holder.host} since ${holder.since} ` +
          `(${holder.purpose}); waited ${Math.round((now - started) / 1000)}s`,
      );
    }
    await sleep(options.pollMs ?? 500);
  }
}

function tryCreate(path: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
  try {
    writeSync(fd, JSON.stringify(owner));
  } finally {
    closeSync(fd);
  }
  return true;
}

function readOwner(path: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as LockOwner;
  } catch {
    return undefined;
  }
}

function isStale(owner: LockOwner): boolean {
  return owner.host === hostname() && !isProcessAlive(owner.pid);
}

function removeIfStillHeldBy(path: string, owner: LockOwner): void {
  const current = readOwner(path);
  if (current && current.pid === owner.pid && current.since === owner.since) unlinkIfExists(path);
}

function removeIfStillUnreadable(path: string): void {
  if (readOwner(path) === undefined) unlinkIfExists(path);
}

function release(path: string): void {
  const current = readOwner(path);
  if (current?.pid === process.pid) unlinkIfExists(path);
}

function unlinkIfExists(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}
