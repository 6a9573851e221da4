// cpuid-fleet-controller as its own process against a local control plane,
// with the controller's NATS identity and the plane's admin kubeconfig.

import { join } from "node:path";
import { type PlaneInfo } from "../plane/control-plane.ts";
import { REPO_ROOT } from "../repo-root.ts";
import { freePorts } from "../plane/ports.ts";
import { httpGet, waitUntilReady } from "../plane/readiness.ts";
import { serviceSeedFile } from "../../shared/nats/credentials-layout.ts";
import type { ChildGroup } from "./child-group.ts";
import { fleetNodeEnv } from "./node-env.ts";

export const CONTROLLER_BIN = join(REPO_ROOT, "bin", "cpuid-fleet-controller");
export const LEASE_NAMESPACE = "cpuid-fleet-system";

export interface ControllerLaunch {
  plane: PlaneInfo;
  logFile: string;
  /** more flags, e.g. ["--workers=16"] */
  args?: readonly string[];
  env?: NodeJS.ProcessEnv;
  readyTimeoutMs?: number;
}

export interface StartedController {
  pid: number;
  metricsUrl: string;
  logFile: string;
}

/** Starts the controller and waits until /readyz answers 200 (caches synced, host bucket loaded). */
export async function startControllerProcess(children: ChildGroup, launch: ControllerLaunch): Promise<StartedController> {
  const [port] = await freePorts(1);
  const { plane } = launch;
  const pid = children.start({
    name: "cpuid-fleet-controller",
    command: CONTROLLER_BIN,
    args: [
      `--kubeconfig=${plane.kubeconfig}`,
      `--nats-url=${plane.natsUrl}`,
      `--nats-seed-file=${serviceSeedFile(plane.credsDir, "controller")}`,
      `--lease-namespace=${LEASE_NAMESPACE}`,
      `--metrics-addr=127.0.0.1:${port}`,
      ...(launch.args ?? []),
    ],
    logFile: launch.logFile,
    env: fleetNodeEnv(launch.env),
  });
  const metricsUrl = `http://127.0.0.1:${port}`;
  await waitUntilReady({
    what: "cpuid-fleet-controller",
    pid,
    logFile: launch.logFile,
    timeoutMs: launch.readyTimeoutMs ?? 60_000,
    probe: async () => (await httpGet(`${metricsUrl}/readyz`)).status === 200,
  });
  return { pid, metricsUrl, logFile: launch.logFile };
}
