// The agent's Debian package as a dom0 operator meets it: built by the code
// behind `npm run agent-package` (gzip -1 instead of xz, the same files),
// installed with dpkg into a copy of a clean Debian bookworm root (minbase
// plus systemd, no Node, no Xen), its unit checked offline by systemd, the
// agent run there on the package's own Node, and refused at start the way
// the unit starts it on a host without a seed or Xen's tools.

import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createUser } from "@nats-io/nkeys";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDebianRoot } from "../../../devenv/toolchain/debian-root.ts";
import { buildAgentPackage, type BuiltPackage } from "../../../scripts/agent-package.ts";

const UNIT = "cpuid-fleet-agent.service";
/** the environment systemd gives a service: none of this machine's (its Node, its CA bundle) */
const SERVICE_ENV = { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C.UTF-8" };

let work: string;
let root: string;
let pkg: BuiltPackage;

function sh(command: string, args: string[]): SpawnSyncReturns<string> {
  return spawnSync(command, args, { encoding: "utf8", env: SERVICE_ENV, timeout: 120_000 });
}

/** Runs the agent in the root as the unit does: the settings file's variables, then ExecStart. */
function startAsTheUnit(): SpawnSyncReturns<string> {
  return sh("chroot", [root, "sh", "-c", "set -a; . /etc/default/cpuid-fleet-agent; set +a; exec /usr/bin/cpuid-fleet-agent"]);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "agent-package-"));
  pkg = buildAgentPackage({ compression: "gzip-fast", outDir: work });
  const clean = await ensureDebianRoot({ flavour: "systemd" });
  root = join(work, "root");
  expect(sh("cp", ["-a", clean, root]).status).toBe(0);
}, 900_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the cpuid-fleet-agent package in a clean Debian root", () => {
  it("installs with dpkg, bringing its own Node (the root has none)", () => {
    expect(sh("chroot", [root, "sh", "-c", "command -v node"]).status).not.toBe(0);
    const r = sh("dpkg", ["--root", root, "-i", pkg.deb]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("install this host's nkey seed as /etc/cpuid-fleet-agent/nats.nk");
    expect(sh("chroot", [root, "dpkg-query", "-W", "-f", "${Status}", "cpuid-fleet-agent"]).stdout).toBe("install ok installed");
    expect(sh("chroot", [root, "stat", "-c", "%a %U", "/etc/cpuid-fleet-agent"]).stdout.trim()).toBe("700 root");
    expect(sh("chroot", [root, "/usr/lib/cpuid-fleet-agent/node_modules/.bin/node", "--version"]).stdout).toMatch(/^v24\./);
  });

  it("runs --help there", () => {
    const r = sh("chroot", [root, "/usr/bin/cpuid-fleet-agent", "--help"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^usage: cpuid-fleet-agent \[options\]/);
    expect(r.stdout).toContain("CPUID_FLEET_AGENT_XEN_CPUID");
    expect(r.stderr).toBe("");
  });

  it("its unit passes systemd-analyze verify with no warning and rates OK (exposure at most 3.0) in systemd-analyze security", () => {
    const verify = sh("systemd-analyze", ["verify", `--root=${root}`, UNIT]);
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stderr).toBe("");
    const security = sh("systemd-analyze", ["security", "--offline=yes", `--root=${root}`, "--no-pager", UNIT]);
    expect(security.status, security.stderr).toBe(0);
    const exposure = /Overall exposure level for cpuid-fleet-agent\.service: ([\d.]+) (\w+)/.exec(security.stdout);
    expect(exposure, security.stdout).not.toBeNull();
    expect(Number(exposure![1])).toBeLessThanOrEqual(3.0);
    expect(exposure![2]).toBe("OK");
  });

  it("started as the unit starts it on a host without Xen's tools or a seed: exit 2 naming each, which the unit does not restart", () => {
    const r = startAsTheUnit();
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain("cpuid-fleet-agent: cannot start:");
    expect(r.stderr).toContain("nkey seed file /etc/cpuid-fleet-agent/nats.nk does not exist");
    expect(r.stderr).toContain("xen-cpuid not found or not executable: /usr/lib/xen-4.17/bin/xen-cpuid");
    expect(r.stderr).toContain("xl not found or not executable: /usr/sbin/xl");
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const unit = readFileSync(join(root, "lib", "systemd", "system", UNIT), "utf8");
    expect(unit).toMatch(/^RestartPreventExitStatus=2$/m);
    expect(unit).toMatch(/^Restart=on-failure$/m);
  });

  it("refuses a seed that others may read, and accepts it once it is mode 600", () => {
    const seed = join(root, "etc", "cpuid-fleet-agent", "nats.nk");
    writeFileSync(seed, `${new TextDecoder().decode(createUser().getSeed())}\n`);
    chmodSync(seed, 0o644);
    expect(startAsTheUnit().stderr).toContain("nkey seed file /etc/cpuid-fleet-agent/nats.nk is open to group or others (mode 0644)");
    chmodSync(seed, 0o600);
    const r = startAsTheUnit();
    expect(r.status).toBe(2);
    expect(r.stderr).not.toContain("nats.nk");
    expect(r.stderr).toContain("xen-cpuid not found");
  });

  it("purges cleanly: program, unit, settings and seed gone", () => {
    const r = sh("dpkg", ["--root", root, "--purge", "cpuid-fleet-agent"]);
    expect(r.status, r.stderr).toBe(0);
    for (const path of ["usr/lib/cpuid-fleet-agent", "usr/bin/cpuid-fleet-agent", `lib/systemd/system/${UNIT}`, "etc/default/cpuid-fleet-agent", "etc/cpuid-fleet-agent"]) {
      expect(existsSync(join(root, path)), path).toBe(false);
    }
  });
});
