import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { withFileLock } from "../../../devenv/toolchain/lock.ts";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
function lockPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "cpuid-fleet-lock-"));
  dirs.push(dir);
  return join(dir, "lock");
}

describe("file lock", () => {
  it("serialises holders and is released afterwards", async () => {
    const path = lockPath();
    const events: string[] = [];
    const holder = (name: string) =>
      withFileLock(path, { purpose: name, log: () => {}, pollMs: 10 }, async () => {
        events.push(`${name} in`);
        await sleep(50);
        events.push(`${name} out`);
      });
    await Promise.all([holder("a"), holder("b")]);
    expect(events).toEqual(["a in", "a out", "b in", "b out"]);
    expect(existsSync(path)).toBe(false);
  });

  it("takes over a lock whose holder process is gone", async () => {
    const path = lockPath();
    const dead = spawnSync(process.execPath, ["-e", "process.exit(0)"]).pid;
    writeFileSync(path, JSON.stringify({ pid: dead, host: hostname(), since: "then", purpose: "crashed build" }));
    const log: string[] = [];
    const result = await withFileLock(path, { purpose: "t", log: (l) => log.push(l), pollMs: 10 }, async () => "ran");
    expect(result).toBe("ran");
    expect(log.join("\n")).toMatch(/stale lock/);
  });

  it("reports who holds it while waiting", async () => {
    const path = lockPath();
    writeFileSync(path, JSON.stringify({ pid: process.pid, host: hostname(), since: "now", purpose: "building etcd" }));
    const log: string[] = [];
    const waiting = withFileLock(path, { purpose: "t", log: (l) => log.push(l), pollMs: 10, reportEveryMs: 0 }, async () => {});
    await sleep(60);
    rmSync(path);
    await waiting;
    expect(log[0]).toMatch(new RegExp(`held by pid ${process.pid} .*building etcd`));
  });
});
