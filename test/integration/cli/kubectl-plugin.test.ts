// `kubectl cpuid` through the real kubectl: kubectl finds bin/kubectl-cpuid on
// PATH and passes its global flags through; the plugin honours --kubeconfig,
// --context and -n against the shared control plane, and reads host data
// from a real agent over NATS.

import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import type { AgentProcess } from "../../../devenv/daemons/agent.ts";
import { REPO_ROOT } from "../../../devenv/repo-root.ts";
import { attachPlane, kubectlOk, planeInfo } from "../../harness/context.ts";
import { startAgent } from "../../support/daemons.ts";
import { FIXTURES_DIR } from "../../../devenv/fixtures.ts";

const HOST = "host-haswell";
const EXAMPLE = join(REPO_ROOT, "examples", "audit-failure.yaml");
const NAMESPACE = "plugin-team";
let agent: AgentProcess;
let kubeconfig: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `kubectl cpuid …` with only kubectl's directory and bin/ on PATH and no $KUBECONFIG: flags decide. */
function kubectlCpuid(...args: string[]): Promise<Run> {
  const info = planeInfo();
  const env: NodeJS.ProcessEnv = {
    PATH: `${join(REPO_ROOT, "bin")}:${dirname(info.binaries.kubectl)}:/usr/bin:/bin`,
    HOME: process.env.HOME,
    KUBECACHEDIR: info.kubectlCacheDir,
    NATS_URL: info.natsUrl,
    CPUID_FLEET_CREDS_DIR: info.credsDir,
  };
  return new Promise((resolve) => {
    execFile("kubectl", ["cpuid", ...args], { env }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

/** The plane's kubeconfig with a second context, "unreachable", made current. */
function twoContextKubeconfig(): string {
  const config = parse(readFileSync(planeInfo().kubeconfig, "utf8")) as {
    clusters: { name: string; cluster: Record<string, unknown> }[];
    contexts: { name: string; context: Record<string, string> }[];
    "current-context": string;
  };
  const plane = config.contexts[0];
  config.clusters.push({ name: "unreachable", cluster: { server: "https://127.0.0.1:1", "insecure-skip-tls-verify": true } });
  config.contexts = [
    { name: "plane", context: { ...plane.context, namespace: "default" } },
    { name: "unreachable", context: { ...plane.context, cluster: "unreachable" } },
  ];
  config["current-context"] = "unreachable";
  const file = join(mkdtempSync(join(tmpdir(), "kubectl-cpuid-")), "kubeconfig");
  writeFileSync(file, stringify(config), { mode: 0o600 });
  return file;
}

beforeAll(async () => {
  const seedFile = await attachPlane().addNatsHost(HOST);
  agent = await startAgent({
    hostId: HOST,
    natsUrl: planeInfo().natsUrl,
    seedFile,
    args: ["--probe", "file", "--probe-file", join(FIXTURES_DIR, "cpuid-dumps", "intel", "haswell-ep-xeon-e5-2699v3.txt")],
  });
  kubeconfig = twoContextKubeconfig();
  await kubectlOk(["create", "namespace", NAMESPACE]);
  await kubectlOk(["apply", "-n", NAMESPACE, "-f", EXAMPLE]);
});

afterAll(async () => {
  await kubectlOk(["delete", "namespace", NAMESPACE, "--wait=false"]);
  await agent?.stop();
});

describe("kubectl cpuid", () => {
  it("lists hosts with the short form `hosts` and explains a feature", async () => {
    const hosts = await kubectlCpuid("hosts", "-o", "json");
    expect(hosts.code, hosts.stderr).toBe(0);
    expect((JSON.parse(hosts.stdout) as { host: string }[]).map((h) => h.host)).toContain(HOST);

    const explain = await kubectlCpuid("policy", "explain", "avx512f");
    expect(explain.code, explain.stderr).toBe(0);
    expect(explain.stdout).toContain("CPUID 0x00000007:0.ebx[16]");
  });

  it("audits in the namespace -n names, in the context --context names, of the kubeconfig --kubeconfig names", async () => {
    const same = await kubectlCpuid("audit", "-f", EXAMPLE, "--kubeconfig", kubeconfig, "--context", "plane", "-n", NAMESPACE, "-o", "json");
    expect(same.code, same.stderr).toBe(1);
    const sameResult = (JSON.parse(same.stdout) as { results: { namespace: string; conflict?: string; findings: { features: string[] }[] }[] }).results[0];
    expect(sameResult.namespace).toBe(NAMESPACE);
    expect(sameResult.conflict).toBeUndefined();
    expect(sameResult.findings.flatMap((f) => f.features)).toContain("avx512f");

    const other = await kubectlCpuid("audit", "--kubeconfig", kubeconfig, "--context=plane", "-f", EXAMPLE);
    expect(other.code, other.stderr).toBe(1);
    expect(other.stdout).toContain(`default/haswell-analytics-1 (host ${HOST}, domain analytics-1, hvm): conflict: ${NAMESPACE}/haswell-analytics-1 already governs`);
  });

  it("uses the kubeconfig's current context without --context, and says which one it could not reach", async () => {
    const r = await kubectlCpuid("audit", "-f", EXAMPLE, "--kubeconfig", kubeconfig);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('kubectl cpuid: cannot list DomainCpuidPolicies in context "unreachable" (https://127.0.0.1:1)');

    const unknown = await kubectlCpuid("audit", "-f", EXAMPLE, "--kubeconfig", kubeconfig, "--context", "staging");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('context "staging" is not in the kubeconfig (it has: plane, unreachable)');
  });
});
