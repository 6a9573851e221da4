// Debian's Xen 4.17 tools for the tests that use real Xen code as a judge
// (devenv/toolchain/xen-tools.ts fetches them into the cache once). Where they cannot
// be had (no apt-get: not a Debian-based machine) those tests skip, saying why.

import { execFileSync } from "node:child_process";
import { beforeAll, describe, it } from "vitest";
import { ensureXenTools, onPath, xenToolsUnavailable, type XenTools } from "../../devenv/toolchain/xen-tools.ts";

const XEN_TOOLS_SKIP = xenToolsUnavailable();

let tools: Promise<XenTools> | undefined;

export function xenTools(): Promise<XenTools> {
  tools ??= ensureXenTools();
  return tools;
}

export async function runXenCpuid(args: string[]): Promise<string> {
  const t = await xenTools();
  return execFileSync(t.xenCpuid, args, { env: t.env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
}

/**
 * A describe block whose tests need the tools (and the `also` commands, e.g.
 * gcc): fetched first, or one skipped test saying why they cannot run here.
 */
export function describeWithXenTools(name: string, body: () => void, also: readonly string[] = []): void {
  describe(name, () => {
    const missing = also.filter((c) => !onPath(c));
    const skip = XEN_TOOLS_SKIP ?? (missing.length > 0 ? `needs ${missing.join(", ")}, not found on PATH` : undefined);
    if (skip) {
      it.skip(`skipped: ${skip}`, () => {});
      return;
    }
    beforeAll(() => xenTools(), 300_000);
    body();
  });
}
