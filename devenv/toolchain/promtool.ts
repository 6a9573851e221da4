// promtool from Debian's `prometheus` package, unpacked without installing
// the package (which would also install and start a Prometheus daemon).

import { copyFileSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildLogFile } from "./cache.ts";
import { runLogged } from "./run-logged.ts";

export interface DebianContext {
  cacheRoot: string;
  log: (line: string) => void;
}

export async function extractPromtool(ctx: DebianContext, version: string, outFile: string): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "cpuid-fleet-promtool-"));
  const step = (args: string[], command = "apt-get") =>
    runLogged({
      label: `promtool ${version}: ${command} ${args[0]}`,
      command,
      args,
      cwd: work,
      env: process.env,
      logFile: buildLogFile(ctx.cacheRoot, "promtool", version),
      log: ctx.log,
    });
  try {
    try {
      await step(["download", "prometheus"]);
    } catch {
      // A fresh machine may have no package lists yet.
      ctx.log("apt-get download failed; running apt-get update and trying again");
      await step(["update"]);
      await step(["download", "prometheus"]);
    }
    const deb = readdirSync(work).find((f) => f.startsWith("prometheus_") && f.endsWith(".deb"));
    if (!deb) throw new Error("apt-get download prometheus produced no .deb");
    await step(["-x", deb, "unpacked"], "dpkg");
    const partial = `${outFile}.partial-${process.pid}`;
    copyFileSync(join(work, "unpacked", "usr", "bin", "promtool"), partial);
    renameSync(partial, outFile);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
