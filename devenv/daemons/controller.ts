// cpuid-fleet-controller (bin/cpuid-fleet-controller) as its own process
// against a local control plane, with the controller's NATS identity: what
// the demo, the benchmarks and the tests run.

import { join } from "node:path";
import { DEFAULT_LEASE_NAMESPACE } from "../../controller/config.ts";
import { serviceSeedFile } from "../../shared/nats/credentials-layout.ts";
import type { PlaneInfo } from "../plane/control-plane.ts";
import { freePorts } from "../plane/ports.ts";
import { REPO_ROOT } from "../repo-root.ts";
import { DaemonProcess } from "./daemon-process.ts";

export const CONTROLLER_BIN = join(REPO_ROOT, "bin", "cpuid-fleet-controller");
/** where its Lease lives (the controller's default): create the namespace before starting it */
export const LEASE_NAMESPACE = DEFAULT_LEASE_NAMESPACE;

export interface ControllerLaunch {
  plane: PlaneInfo;
  logFile: string;
  /** default: the plane's admin kubeconfig */
  kubeconfig?: string;
  /** leader-election identity; default: the controller's own (hostname, pid, random) */
  identity?: string;
  /** more flags, e.g. ["--workers=16"] */
  args?: readonly string[];
  env?: NodeJS.ProcessEnv;
  readyTimeoutMs?: number;
}

export class ControllerProcess extends DaemonProcess {
  private constructor(launch: ControllerLaunch, metricsPort: number) {
    const { plane } = launch;
    super({
      name: `cpuid-fleet-controller${launch.identity ? ` ${launch.identity}` : ""}`,
      command: CONTROLLER_BIN,
      args: [
        `--kubeconfig=${launch.kubeconfig ?? plane.kubeconfig}`,
        `--nats-url=${plane.natsUrl}`,
        `--nats-seed-file=${serviceSeedFile(plane.credsDir, "controller")}`,
        `--lease-namespace=${LEASE_NAMESPACE}`,
        `--metrics-listen=127.0.0.1:${metricsPort}`,
        ...(launch.identity ? [`--identity=${launch.identity}`] : []),
        ...(launch.args ?? []),
      ],
      logFile: launch.logFile,
      metricsPort,
      ...(launch.env ? { env: launch.env } : {}),
    });
  }

  /** Starts a replica and waits until /readyz answers 200 (caches synced, host bucket loaded); it may or may not lead. */
  static async start(launch: ControllerLaunch): Promise<ControllerProcess> {
    const [port] = await freePorts(1);
    const controller = new ControllerProcess(launch, port);
    await controller.waitReady(launch.readyTimeoutMs);
    return controller;
  }

  /** Whether this replica holds the Lease now (its cpuid_controller_leader gauge). */
  async isLeader(): Promise<boolean> {
    return /^cpuid_controller_leader 1$/m.test(await this.metrics());
  }
}
