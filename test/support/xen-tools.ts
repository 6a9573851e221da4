// Debian's Xen 4.17 tools for the tests that use real Xen code as a judge
// (scripts/xen-tools.ts fetches them into the cache once). Where they cannot
// be had (no apt-get: not a Debian-based machine) those tests skip, saying why.

import { execFileSync } from "node:child_process";
import { beforeAll, describe, it } from "vitest";
import { ensureXenTools, xenToolsUnavailable, type XenTools } from "../../scripts/xen-tools.ts";

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

/** A describe block whose tests need the tools: fetched first, or one skipped test saying why they cannot run here. */
export function describeWithXenTools(name: string, body: () => void): void {
  describe(name, () => {
    if (XEN_TOOLS_SKIP) {
      it.skip(`skipped: ${XEN_TOOLS_SKIP}`, () => {});
      return;
    }
    beforeAll(() => xenTools(), 300_000);
    body();
  });
}
