// An agent whose NATS identity is wrong, against the plane's real nats-server:
// another host's seed or a seed the server does not know makes it exit at
// start with a message naming the host, the identity and what was refused;
// losing its permissions while it runs turns it not ready with that message.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createUser, fromSeed } from "@nats-io/nkeys";
import { afterAll, describe, expect, it } from "vitest";
import { attachPlane, planeInfo } from "../../harness/context.ts";
import { eventually } from "../../harness/eventually.ts";
import { FIXTURES_DIR } from "../../../devenv/fixtures.ts";
import { AGENT_BIN, type AgentProcess } from "../../../devenv/daemons/agent.ts";
import { startAgent } from "../../support/daemons.ts";

const ALDERLAKE = join(FIXTURES_DIR, "xen-cpuid", "xen-cpuid-p_core-i5-12600k_alderlake.txt");
const fileProbe = ["--probe", "file", "--probe-file", ALDERLAKE, "--heartbeat-interval", "1"];
const EXIT_TIMEOUT_MS = 20_000;

const publicKey = (seedFile: string) => fromSeed(new TextEncoder().encode(readFileSync(seedFile, "utf8").trim())).getPublicKey();

/** Runs the agent until it exits on its own (or kills it after EXIT_TIMEOUT_MS); its exit code and output. */
function runToExit(hostId: string, seedFile: string): Promise<{ code: number | null; output: string }> {
  const stateDir = mkdtempSync(join(tmpdir(), `agent-${hostId}-`));
  const child = spawn(
    AGENT_BIN,
    ["--host-id", hostId, "--nats-url", planeInfo().natsUrl, "--nats-seed-file", seedFile, "--state-dir", stateDir, "--metrics-listen", "127.0.0.1:0", ...fileProbe],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), EXIT_TIMEOUT_MS);
  return new Promise((resolve) =>
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}

const agents: AgentProcess[] = [];
afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
});

describe("agent credentials", () => {
  it("given another host's seed, the agent exits 1 at start naming its host, the identity and the refused subject", async () => {
    const plane = attachPlane();
    await plane.addNatsHost("cred-a");
    const seedB = await plane.addNatsHost("cred-b");
    const r = await runToExit("cred-a", seedB);
    expect(r.code, r.output).toBe(1);
    expect(r.output).toContain(`the NATS server denies host cred-a's identity (nkey seed file ${seedB}, public key ${publicKey(seedB)})`);
    expect(r.output).toMatch(/(subscription|publish) to \\"(cpuid\.v1\.host\.cred-a\.|_INBOX_cred-a\.|\$KV\.cpuid-hosts\.cred-a)/);
    expect(r.output).toContain("failed to start");
  });

  it("given a seed the server does not know, the agent exits 1 at start with the Authorization Violation", async () => {
    const seedFile = join(mkdtempSync(join(tmpdir(), "unknown-seed-")), "unknown.nk");
    writeFileSync(seedFile, new TextDecoder().decode(createUser().getSeed()) + "\n", { mode: 0o600 });
    const r = await runToExit("cred-a", seedFile);
    expect(r.code, r.output).toBe(1);
    expect(r.output).toContain(`the NATS server refused host cred-a's credentials (nkey seed file ${seedFile}, public key ${publicKey(seedFile)})`);
    expect(r.output).toContain("Authorization Violation");
  });

  it("an agent whose identity loses this host's permissions while it runs turns not ready, naming the refused subject", async () => {
    const plane = attachPlane();
    const late = await plane.addNatsHost("cred-late");
    const other = await plane.addNatsHost("cred-other");
    const agent = await startAgent({ hostId: "cred-late", natsUrl: planeInfo().natsUrl, seedFile: late, args: fileProbe });
    agents.push(agent);
    // the server now gives the agent's key the other host's permissions
    const swap = () => {
      renameSync(late, `${late}.swap`);
      renameSync(other, late);
      renameSync(`${late}.swap`, other);
    };
    swap();
    await plane.addNatsHost("cred-reload-1");
    try {
      await eventually("not ready", async () => {
        const r = await fetch(`${agent.metricsUrl}/readyz`);
        expect(r.status).toBe(503);
        expect(await r.text()).toMatch(/not ready: the NATS server denies host cred-late's identity .* to "(cpuid\.v1\.host\.cred-late\.|_INBOX_cred-late\.|\$KV\.cpuid-hosts\.cred-late)/);
      });
    } finally {
      swap();
      await plane.addNatsHost("cred-reload-2");
    }
  });
});
