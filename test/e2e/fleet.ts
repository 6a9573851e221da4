// What the controller's integration and end-to-end tests run on the shared
// control plane: controller replicas as real processes (bin/cpuid-fleet-controller),
// sim agents as real processes, kubectl, and polling helpers.

import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simAdmin } from "../../cli/sim-admin-client.ts";
import type { DomainCpuidPolicyObject } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import type { AgentProcess } from "../../devenv/daemons/agent.ts";
import { ControllerProcess } from "../../devenv/daemons/controller.ts";
import type { Condition } from "../../shared/schemas/conditions.ts";
import { attachPlane, kubectl, planeInfo, type KubectlOptions } from "../harness/context.ts";
import { eventually } from "../harness/eventually.ts";
import { startAgent } from "../support/daemons.ts";
import { FIXTURES_DIR } from "../../devenv/fixtures.ts";
import { REPO_ROOT } from "../../devenv/repo-root.ts";

export { eventually };

export const HASWELL = join(FIXTURES_DIR, "cpuid-dumps", "intel", "haswell-ep-xeon-e5-2699v3.txt");
export const SAPPHIRE_RAPIDS = join(FIXTURES_DIR, "cpuid-dumps", "intel", "sapphirerapids-xeon-w7-2475x.txt");

/** The demo's cut CPU profiles (examples/profiles/). */
export const profile = (name: string): string => join(REPO_ROOT, "examples", "profiles", `host-${name}.txt`);

/** bin/cpuidctl as users run it, against the plane's kube-apiserver and NATS (as the controller's identity). */
export function runCpuidctl(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const info = planeInfo();
  return new Promise((resolve) =>
    execFile(
      join(REPO_ROOT, "bin", "cpuidctl"),
      args,
      { env: { ...process.env, KUBECONFIG: info.kubeconfig, NATS_URL: info.natsUrl, CPUID_FLEET_CREDS_DIR: info.credsDir } },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

/** Fast timings so failures and recoveries show within seconds. */
export const FAST_CONTROLLER_FLAGS = [
  "--lease-duration=4",
  "--renew-deadline=3",
  "--retry-period=0.5",
  "--request-timeout=1",
  "--max-backoff=2",
  "--staged-refresh=2",
  "--resync=30",
  "--log-level=debug",
];

/** Starts a controller replica with fast timings and waits until it is ready (caches synced); it may or may not lead. */
export function startController(identity: string, options: { kubeconfig?: string; args?: string[] } = {}): Promise<ControllerProcess> {
  return ControllerProcess.start({
    plane: planeInfo(),
    identity,
    ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}),
    logFile: join(mkdtempSync(join(tmpdir(), `controller-${identity}-`)), "controller.log"),
    args: [...FAST_CONTROLLER_FLAGS, ...(options.args ?? [])],
    readyTimeoutMs: 30_000,
  });
}

/** The value of one sample (metric name plus exact label set) in Prometheus text, or 0 when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(",");
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? "").split(",").filter(Boolean).sort().join(",");
    if (have === want) return Number(m[3]);
  }
  return 0;
}

export interface SimHost {
  hostId: string;
  agent: AgentProcess;
  stateDir: string;
  seedFile: string;
}

/** A sim agent for a host, probing a recorded CPU, heartbeating every second. */
export async function startSimHost(hostId: string, dumpFile: string, stateDir?: string, extraArgs: string[] = []): Promise<SimHost> {
  const info = planeInfo();
  const seedFile = await attachPlane().addNatsHost(hostId);
  const agent = await startAgent({
    hostId,
    natsUrl: info.natsUrl,
    seedFile,
    ...(stateDir ? { stateDir } : {}),
    profile: dumpFile,
    args: ["--heartbeat-interval", "1", ...extraArgs],
  });
  return { hostId, agent, stateDir: agent.stateDir, seedFile };
}

export async function restartSimHost(host: SimHost, dumpFile: string): Promise<SimHost> {
  await host.agent.stop();
  return startSimHost(host.hostId, dumpFile, host.stateDir);
}

export async function createDomain(host: SimHost, domain: string, state: "created" | "running", guestType: "pv" | "hvm" = "hvm"): Promise<void> {
  await simAdmin(host.stateDir, state === "running" ? "start" : "create", domain, guestType);
}

/** `kubectl <args>`; throws with stderr unless it exits 0. */
export async function kubectlOk(args: readonly string[], options: KubectlOptions = {}): Promise<string> {
  const r = await kubectl(args, options);
  if (r.status !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export async function ensureNamespace(name: string): Promise<void> {
  const r = await kubectl(["create", "namespace", name]);
  if (r.status !== 0 && !r.stderr.includes("AlreadyExists")) throw new Error(r.stderr);
}

export function domainPolicyYaml(name: string, namespace: string, spec: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: "cpuidfleet.io/v1alpha1", kind: "DomainCpuidPolicy", metadata: { name, namespace }, spec });
}

export async function applyDomainPolicy(name: string, namespace: string, spec: Record<string, unknown>): Promise<void> {
  await kubectlOk(["apply", "-f", "-"], { stdin: domainPolicyYaml(name, namespace, spec) });
}

export async function getDomainPolicy(name: string, namespace: string): Promise<DomainCpuidPolicyObject> {
  return JSON.parse(await kubectlOk(["get", "dcp", name, "-n", namespace, "-o", "json"])) as DomainCpuidPolicyObject;
}

export function condition(obj: DomainCpuidPolicyObject, type: string): Condition | undefined {
  return obj.status?.conditions?.find((c) => c.type === type);
}

/** Polls the object until `check` passes (returns it) or the time is up. */
export async function waitForDomainPolicy(
  name: string,
  namespace: string,
  what: string,
  check: (obj: DomainCpuidPolicyObject) => boolean,
  timeoutMs = 20_000,
): Promise<DomainCpuidPolicyObject> {
  let last: DomainCpuidPolicyObject | undefined;
  try {
    return await eventually(
      `${namespace}/${name} ${what}`,
      async () => {
        last = await getDomainPolicy(name, namespace);
        if (!check(last)) throw new Error("not yet");
        return last;
      },
      timeoutMs,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last status: ${JSON.stringify(last?.status?.conditions ?? null)}`, { cause: err });
  }
}

/** Events (events.k8s.io) about one object, oldest first. */
export async function eventsFor(name: string, namespace: string): Promise<{ reason: string; type: string; note: string }[]> {
  const list = JSON.parse(await kubectlOk(["get", "events.events.k8s.io", "-n", namespace, "-o", "json"])) as {
    items: { reason: string; type: string; note: string; regarding?: { name?: string } }[];
  };
  return list.items.filter((e) => e.regarding?.name === name).map(({ reason, type, note }) => ({ reason, type, note }));
}
