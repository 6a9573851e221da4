// Bad arguments to any cpuidctl command: exit 2 and one line naming the
// culprit, never a stack trace (through the real binary).

import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { describe, expect, it, vi } from "vitest";
import { REPO_ROOT } from "../../../devenv/repo-root.ts";

const BIN = join(REPO_ROOT, "bin", "cpuidctl");
// each case starts Node; the machine is shared with long builds
vi.setConfig({ testTimeout: 60_000 });

function firstLine(args: string[]): string {
  const r = spawnSync(BIN, args, { encoding: "utf8" });
  expect(r.status).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return r.stderr.split("\n")[0];
}

describe("cpuidctl usage errors", () => {
  it.each([
    ["policy", "derive", "--bogus"],
    ["policy", "show", "--bogus", "x"],
    ["hosts", "get", "--bogus", "x"],
    ["hosts", "list", "--bogus"],
    ["nats", "config", "--bogus"],
    ["sim", "list", "--bogus"],
    ["fleet", "report", "--bogus"],
    ["rollout", "plan", "--bogus"],
    ["rollout", "status", "--bogus", "x"],
    ["rollout", "resume", "--bogus", "x"],
  ])("unknown option: %s %s %s", (...args) => {
    expect(firstLine(args)).toMatch(/^cpuidctl: Unknown option '--bogus'/);
  });

  it("stray positional: hosts list foo", () => {
    expect(firstLine(["hosts", "list", "foo"])).toBe(`cpuidctl: unexpected argument "foo"`);
  });

  it("fleet report: another format, a missing kubeconfig, an unreachable cluster", () => {
    expect(firstLine(["fleet", "report", "-o", "json"])).toBe("cpuidctl: -o must be html");
    expect(firstLine(["fleet", "report", "--kubeconfig", "/nonexistent/kubeconfig"])).toMatch(/^cpuidctl: cannot read kubeconfig \/nonexistent\/kubeconfig: /);
    const dir = mkdtempSync(join(tmpdir(), "kubeconfig-"));
    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(kubeconfig, stringify({ apiVersion: "v1", kind: "Config", clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:1" } }], users: [{ name: "u", user: {} }], contexts: [{ name: "x", context: { cluster: "c", user: "u" } }], "current-context": "x" }));
    expect(firstLine(["fleet", "report", "--kubeconfig", kubeconfig])).toMatch(/^cpuidctl: cannot list DomainCpuidPolicies on https:\/\/127\.0\.0\.1:1: /);
  });

  it("rollout: no file, no name, a missing or empty file, an unreachable cluster", () => {
    expect(firstLine(["rollout", "plan"])).toBe("cpuidctl: -f <file> is required");
    expect(firstLine(["rollout", "undo"])).toBe("cpuidctl: expected one rollout name");
    expect(firstLine(["rollout", "plan", "-f", "/nonexistent/rollout.yaml"])).toMatch(/^cpuidctl: cannot read \/nonexistent\/rollout.yaml: /);
    const dir = mkdtempSync(join(tmpdir(), "rollout-"));
    const empty = join(dir, "empty.yaml");
    writeFileSync(empty, stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } }));
    expect(firstLine(["rollout", "plan", "-f", empty])).toBe(`cpuidctl: ${empty}: expected one cpuidfleet.io CpuidRollout, found 0`);
    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(kubeconfig, stringify({ apiVersion: "v1", kind: "Config", clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:1" } }], users: [{ name: "u", user: {} }], contexts: [{ name: "x", context: { cluster: "c", user: "u" } }], "current-context": "x" }));
    expect(firstLine(["rollout", "status", "r", "--kubeconfig", kubeconfig])).toMatch(/^cpuidctl: cannot read CpuidRollout r in context "x" \(https:\/\/127\.0\.0\.1:1\): /);
  });

  it("stray positional: hosts get a b", () => {
    expect(firstLine(["hosts", "get", "a", "b"])).toBe("cpuidctl: expected one host id");
  });

  it("NATS TLS settings: a missing file, a certificate without its key, --tls-names without --tls-dir", () => {
    expect(firstLine(["hosts", "list", "--nats-ca-file", "/nonexistent/ca.crt"])).toBe("cpuidctl: cannot connect to NATS: --nats-ca-file /nonexistent/ca.crt: no such file");
    expect(firstLine(["hosts", "list", "--nats-cert-file", "/x.crt"])).toMatch(/^cpuidctl: cannot connect to NATS: --nats-cert-file and --nats-key-file go together/);
    expect(firstLine(["nats", "config", "--hosts", "a", "--out", mkdtempSync(join(tmpdir(), "nats-config-")), "--tls-names", "x"])).toBe("cpuidctl: --tls-names needs --tls-dir");
  });

  it("unreachable NATS: hosts list and hosts get", () => {
    for (const verb of [["list"], ["get", "h1"]]) {
      expect(firstLine(["hosts", ...verb, "--nats-url", "nats://127.0.0.1:1"])).toMatch(/^cpuidctl: cannot connect to NATS: /);
    }
  });
});
