// What integration and end-to-end tests use to reach the shared control plane
// started by global-setup.ts:
//
//   planeInfo()            kubeconfig, URLs, creds dir, bin dir, … (PlaneInfo)
//   attachPlane()          the ControlPlane: addUser, addNatsHost, restartComponent, …
//   kubectl(args, opts)    the pinned kubectl against the plane (admin unless opts.kubeconfig)
//   kubectlOk(args, opts)  the same, returning stdout and throwing on a non-zero exit
//   connectNats(identity)  a NATS connection as "admin" | "controller" | { host }

import { spawn } from "node:child_process";
import type { NatsConnection } from "@nats-io/transport-node";
import { inject } from "vitest";
import { ControlPlane, type PlaneInfo } from "../../devenv/plane/control-plane.ts";
import { connectAs, type NatsIdentity } from "../../runtime/nats/connect.ts";

export { eventually } from "./eventually.ts";
export { PLANE_HOSTS } from "./shared-plane.ts";

declare module "vitest" {
  export interface ProvidedContext {
    cpuidFleetPlane: PlaneInfo;
  }
}

export function planeInfo(): PlaneInfo {
  return inject("cpuidFleetPlane");
}

export function attachPlane(): ControlPlane {
  return ControlPlane.attach(planeInfo().dir);
}

export interface KubectlOptions {
  /** Default: the admin kubeconfig. */
  kubeconfig?: string;
  stdin?: string;
}

export interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function kubectl(args: readonly string[], options: KubectlOptions = {}): Promise<CommandResult> {
  const info = planeInfo();
  return new Promise((resolve, reject) => {
    const child = spawn(info.binaries.kubectl, args, {
      env: {
        ...process.env,
        KUBECONFIG: options.kubeconfig ?? info.kubeconfig,
        KUBECACHEDIR: info.kubectlCacheDir,
        PATH: `${info.binDir}:${process.env.PATH ?? ""}`,
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(options.stdin ?? "");
  });
}

export async function kubectlOk(args: readonly string[], options: KubectlOptions = {}): Promise<string> {
  const r = await kubectl(args, options);
  if (r.status !== 0) throw new Error(`kubectl ${args.join(" ")} failed (exit ${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}

export function connectNats(identity: NatsIdentity): Promise<NatsConnection> {
  const info = planeInfo();
  return connectAs(info.natsUrl, info.credsDir, identity);
}
