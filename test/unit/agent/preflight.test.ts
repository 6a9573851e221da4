// The daemons' checks before they start: a host's seed missing, open to
// others or not a seed, Xen's tools missing for the xen probe or backend, the
// controller's seed missing. Each is exit 2 with the setting to fix, before
// any connection is tried (through the real binaries).

import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createUser } from "@nats-io/nkeys";
import { describe, expect, it, vi } from "vitest";
import { agentPreflightProblems, resolveExecutable } from "../../../agent/preflight.ts";
import { seedFileProblem } from "../../../runtime/nkey-seed.ts";
import { REPO_ROOT } from "../../../devenv/repo-root.ts";

// each binary case starts Node; the machine is shared with long builds
vi.setConfig({ testTimeout: 60_000 });

const dir = mkdtempSync(join(tmpdir(), "preflight-"));

function seedFile(name: string, mode: number, text = new TextDecoder().decode(createUser().getSeed())): string {
  const path = join(dir, name);
  writeFileSync(path, `${text}\n`);
  chmodSync(path, mode);
  return path;
}

function tool(name: string, mode = 0o755): string {
  const path = join(dir, name);
  writeFileSync(path, "#!/bin/sh\n");
  chmodSync(path, mode);
  return path;
}

const xenConfig = { natsSeedFile: undefined, probe: "xen", backend: "xen", xenCpuidPath: "xen-cpuid", xlPath: "xl", stateDir: dir } as const;

/** A fresh state directory (0700) for the agent. */
function stateDir(name: string): string {
  const path = join(dir, name);
  mkdirSync(path, { mode: 0o700 });
  return path;
}

describe("seed file checks", () => {
  it("accepts a 0600 user seed and, for the controller, a group-readable one", () => {
    expect(seedFileProblem(seedFile("ok.nk", 0o600), { ownerOnly: true })).toBeUndefined();
    expect(seedFileProblem(seedFile("group.nk", 0o440), { ownerOnly: false })).toBeUndefined();
  });

  it("names a missing file, a file open to others with its mode, a directory and a file that holds no user seed", () => {
    expect(seedFileProblem(join(dir, "absent.nk"), { ownerOnly: true })).toBe(`nkey seed file ${join(dir, "absent.nk")} does not exist`);
    expect(seedFileProblem(seedFile("open.nk", 0o644), { ownerOnly: true })).toMatch(/open\.nk is open to group or others \(mode 0644\).*chmod 600/);
    expect(seedFileProblem(seedFile("group-only.nk", 0o640), { ownerOnly: true })).toContain("(mode 0640)");
    expect(seedFileProblem(dir, { ownerOnly: true })).toBe(`nkey seed file ${dir} is not a regular file`);
    expect(seedFileProblem(seedFile("not-a-seed.nk", 0o600, "hello"), { ownerOnly: true })).toContain("does not hold an nkey user seed");
  });
});

describe("state permission checks", () => {
  const simConfig = { ...xenConfig, probe: "linux", backend: "sim" } as const;

  it("accepts an owner-only state directory and files, and one not created yet", () => {
    const state = stateDir("state-ok");
    writeFileSync(join(state, "sim-domains.json"), "{}", { mode: 0o600 });
    mkdirSync(join(state, "xl"), { mode: 0o755 });
    expect(agentPreflightProblems({ ...simConfig, stateDir: state }, "/nonexistent")).toEqual([]);
    expect(agentPreflightProblems({ ...simConfig, stateDir: join(dir, "not-yet") }, "/nonexistent")).toEqual([]);
  });

  it("names a group- or world-writable state directory, state file and xl config directory with its mode and the fix", () => {
    const state = stateDir("state-open");
    chmodSync(state, 0o777);
    writeFileSync(join(state, "sim-domains.json"), "{}");
    chmodSync(join(state, "sim-domains.json"), 0o620);
    writeFileSync(join(state, "xen-domains.json"), "{}");
    chmodSync(join(state, "xen-domains.json"), 0o602);
    mkdirSync(join(state, "xl"));
    chmodSync(join(state, "xl"), 0o775);
    expect(agentPreflightProblems({ ...simConfig, stateDir: state }, "/nonexistent")).toEqual([
      `agent state directory ${state} is writable by group or others (mode 0777): whoever writes it can change what this agent believes it applied (or replace its files); chmod go-w ${state} (owner: the user the daemon runs as) (--state-dir, CPUID_FLEET_AGENT_STATE_DIR)`,
      expect.stringMatching(/^sim backend state file .*sim-domains\.json is writable by group or others \(mode 0620\).*chmod go-w .*sim-domains\.json/),
      expect.stringMatching(/^xen backend state file .*xen-domains\.json is writable by group or others \(mode 0602\)/),
      expect.stringMatching(/^xl config directory .*\/xl is writable by group or others \(mode 0775\): whoever writes it can change the CPUID policy xl gives a domain/),
    ]);
  });

  it("accepts a state file others may read but not write", () => {
    const state = stateDir("state-readable");
    writeFileSync(join(state, "sim-domains.json"), "{}");
    chmodSync(join(state, "sim-domains.json"), 0o644);
    expect(agentPreflightProblems({ ...simConfig, stateDir: state }, "/nonexistent")).toEqual([]);
  });
});

describe("Xen tools checks", () => {
  it("finds bare names on PATH and paths as given, only when executable", () => {
    const xl = tool("xl");
    tool("plain-file", 0o644);
    expect(resolveExecutable("xl", `/nonexistent:${dir}`)).toBe(xl);
    expect(resolveExecutable(xl, "")).toBe(xl);
    expect(resolveExecutable("plain-file", dir)).toBeUndefined();
    expect(resolveExecutable(join(dir, "absent"), dir)).toBeUndefined();
  });

  it("reports both tools missing for the xen probe and backend, with the setting and Debian's path", () => {
    const problems = agentPreflightProblems(xenConfig, "/nonexistent");
    expect(problems).toHaveLength(2);
    expect(problems[0]).toBe(
      "xen-cpuid not found or not executable: xen-cpuid (--xen-cpuid, CPUID_FLEET_AGENT_XEN_CPUID); --probe xen and --backend xen need Xen's tools, on Debian /usr/lib/xen-4.17/bin/xen-cpuid from xen-utils-4.17",
    );
    expect(problems[1]).toContain("xl not found or not executable: xl (--xl, CPUID_FLEET_AGENT_XL)");
  });

  it("asks for no Xen tool with the linux or file probe on the sim backend", () => {
    expect(agentPreflightProblems({ ...xenConfig, probe: "linux", backend: "sim" }, "/nonexistent")).toEqual([]);
    expect(agentPreflightProblems({ ...xenConfig, probe: "file", backend: "xen" }, "/nonexistent")).toHaveLength(2);
  });
});

function worldWritableStateFile(): string {
  const state = stateDir("state-world");
  writeFileSync(join(state, "sim-domains.json"), "{}");
  chmodSync(join(state, "sim-domains.json"), 0o666);
  return state;
}

function run(bin: string, args: string[]) {
  return spawnSync(join(REPO_ROOT, "bin", bin), args, { encoding: "utf8", env: { ...process.env, CPUID_FLEET_CREDS_DIR: "" } });
}

describe("the daemons refuse to start, exit 2, one message, no stack trace", () => {
  it.each([
    ["a missing seed", ["--nats-seed-file", join(dir, "absent.nk")], "does not exist (--nats-seed-file, CPUID_FLEET_AGENT_NATS_SEED_FILE)"],
    ["a world-readable seed", ["--nats-seed-file", seedFile("world.nk", 0o644)], "is open to group or others (mode 0644)"],
    ["the xen probe without xen-cpuid", ["--probe", "xen", "--xen-cpuid", join(dir, "absent-xen-cpuid"), "--xl", tool("xl")], "xen-cpuid not found or not executable"],
    ["a world-writable state file", ["--state-dir", worldWritableStateFile()], "sim-domains.json is writable by group or others (mode 0666)"],
  ])("the agent, given %s", (_, args, message) => {
    const r = run("cpuid-fleet-agent", ["--state-dir", dir, ...args, "--metrics-listen", "127.0.0.1:0", "--nats-url", "nats://127.0.0.1:9"]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^cpuid-fleet-agent: cannot start:\n {2}/);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("the controller, given a group-writable kubeconfig, names it and the fix", () => {
    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(kubeconfig, "apiVersion: v1\nkind: Config\n");
    chmodSync(kubeconfig, 0o664);
    const r = run("cpuid-fleet-controller", ["--kubeconfig", kubeconfig]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toBe(
      `cpuid-fleet-controller: cannot start:\n  kubeconfig ${kubeconfig} is writable by group or others (mode 0664): whoever writes it can point this controller at another apiserver or other credentials; chmod go-w ${kubeconfig} (owner: the user the daemon runs as) (--kubeconfig, CPUID_FLEET_CONTROLLER_KUBECONFIG)\n`,
    );
  });

  it("the controller, given a missing seed, names the Secret it comes from in the cluster", () => {
    const r = run("cpuid-fleet-controller", ["--nats-seed-file", join(dir, "absent.nk"), "--kubeconfig", join(dir, "absent-kubeconfig")]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(`nkey seed file ${join(dir, "absent.nk")} does not exist`);
    expect(r.stderr).toContain("key controller.nk of the Secret cpuid-fleet-controller-nats");
  });
});
