// `cpuidctl hosts level` over hosts real agents published, against
// `cpuidctl policy level` of the same CPUs as dump files and as the
// HostPolicies JSON `hosts get` prints.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attachPlane, planeInfo } from "../../harness/context.ts";
import { FIXTURES_DIR } from "../../../devenv/fixtures.ts";
import { cpuidctlAsync } from "../../support/cpuidctl.ts";
import type { AgentProcess } from "../../../devenv/daemons/agent.ts";
import { startAgent as startAgentProcess } from "../../support/daemons.ts";
import { eventually } from "../../harness/eventually.ts";

const agents: AgentProcess[] = [];
const DUMPS = join(FIXTURES_DIR, "cpuid-dumps");
const HOSTS = { "haswell-ep-xeon-e5-2699v3": "intel", "skylake-sp-xeon-platinum-8160-2s": "intel", "genoa-epyc-9124": "amd" } as const;
const dump = (host: keyof typeof HOSTS) => join(DUMPS, HOSTS[host], `${host}.txt`);

function cpuidctl(...args: string[]) {
  const info = planeInfo();
  return cpuidctlAsync({ NATS_URL: info.natsUrl, CPUID_FLEET_CREDS_DIR: info.credsDir }, ...args);
}

async function publish(host: keyof typeof HOSTS): Promise<void> {
  const seedFile = await attachPlane().addNatsHost(host);
  agents.push(await startAgentProcess({ hostId: host, natsUrl: planeInfo().natsUrl, seedFile, args: ["--probe", "file", "--probe-file", dump(host)] }));
  await eventually(`${host} published`, async () => expect((await cpuidctl("hosts", "get", host)).code).toBe(0));
}

beforeAll(async () => {
  await Promise.all((Object.keys(HOSTS) as (keyof typeof HOSTS)[]).map(publish));
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
});

describe("cpuidctl hosts level", () => {
  it("levels published hosts as policy level levels their dumps and their published JSON", async () => {
    const intel = ["haswell-ep-xeon-e5-2699v3", "skylake-sp-xeon-platinum-8160-2s"] as const;

    const live = await cpuidctl("hosts", "level", ...intel, "--guest", "hvm", "-o", "json");
    expect(live.code, live.stderr).toBe(0);
    const level = JSON.parse(live.stdout);
    expect(level.hosts).toEqual(intel);
    expect(level.policy.features).toContain("sse2");
    expect(level.policy.features).not.toContain("rdseed");
    expect(level.removed).toContainEqual({ host: "haswell-ep-xeon-e5-2699v3", features: expect.arrayContaining(["rdseed", "adx"]) });

    const fromDumps = await cpuidctl("policy", "level", ...intel.map(dump), "--guest", "hvm", "-o", "json");
    expect(fromDumps.code, fromDumps.stderr).toBe(0);
    expect(JSON.parse(fromDumps.stdout)).toEqual(level);

    const dir = mkdtempSync(join(tmpdir(), "hosts-level-"));
    const files = [];
    for (const host of intel) {
      const got = await cpuidctl("hosts", "get", host, "-o", "json");
      files.push(join(dir, `${host}.json`));
      writeFileSync(files.at(-1)!, got.stdout);
    }
    const fromJson = await cpuidctl("policy", "level", ...files, "--guest", "hvm", "-o", "json");
    expect(fromJson.code, fromJson.stderr).toBe(0);
    expect(JSON.parse(fromJson.stdout)).toEqual(level);
  });

  it("refuses hosts of different vendors (exit 1) and a host that published nothing (exit 2)", async () => {
    const mixed = await cpuidctl("hosts", "level", "haswell-ep-xeon-e5-2699v3", "genoa-epyc-9124", "--guest", "hvm");
    expect(mixed.code).toBe(1);
    expect(mixed.stdout).toMatch(/error: hosts of different vendors cannot share a pool level; intel .*haswell-ep-xeon-e5-2699v3; amd .*genoa-epyc-9124/);

    const missing = await cpuidctl("hosts", "level", "haswell-ep-xeon-e5-2699v3", "no-such-host", "--guest", "hvm");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('host "no-such-host" has published nothing to cpuid-hosts');
  });

  it("names the field of a JSON file that is not a published HostPolicies", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "hosts-level-")), "bad.json");
    writeFileSync(file, JSON.stringify({ schemaVersion: 1, hostId: "x" }));
    const r = await cpuidctl("policy", "level", file, "--guest", "hvm");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.json: not a published HostPolicies .*: fingerprint: /);
  });
});
