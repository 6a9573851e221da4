// The three servers of the plane: how each is started (command line) and how
// readiness is judged. Command lines are pure functions of the plane state.

import { readFileSync } from "node:fs";
import { pkiPaths } from "./certs.ts";
import type { PlaneLayout } from "./layout.ts";
import { LOOPBACK } from "./ports.ts";
import { httpGet } from "./readiness.ts";

export const COMPONENTS = ["etcd", "kube-apiserver", "nats-server"] as const;
export type ComponentName = (typeof COMPONENTS)[number];

export interface PlanePorts {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
  nats: number;
  natsMonitor: number;
}

export interface ComponentContext {
  layout: PlaneLayout;
  ports: PlanePorts;
  etcdDataDir: string;
  /** appended to the apiserver's flags */
  apiserverArgs: readonly string[];
  adminClientCert: { cert: string; key: string };
}

export const START_TIMEOUT_MS: Record<ComponentName, number> = {
  etcd: 30_000,
  "kube-apiserver": 120_000,
  "nats-server": 30_000,
};

export function etcdUrl(ports: PlanePorts): string {
  return `http://${LOOPBACK}:${ports.etcdClient}`;
}

export function apiserverUrl(ports: PlanePorts): string {
  return `https://${LOOPBACK}:${ports.apiserver}`;
}

export function natsUrl(ports: PlanePorts): string {
  return `nats://${LOOPBACK}:${ports.nats}`;
}

export function natsMonitorUrl(ports: PlanePorts): string {
  return `http://${LOOPBACK}:${ports.natsMonitor}`;
}

export function componentArgs(name: ComponentName, ctx: ComponentContext): string[] {
  switch (name) {
    case "etcd":
      return etcdArgs(ctx);
    case "kube-apiserver":
      return kubeApiserverArgs(ctx);
    case "nats-server":
      return ["-c", ctx.layout.natsConfig];
  }
}

function etcdArgs({ ports, etcdDataDir }: ComponentContext): string[] {
  const client = etcdUrl(ports);
  const peer = `http://${LOOPBACK}:${ports.etcdPeer}`;
  return [
    "--name=cpuid-fleet",
    `--data-dir=${etcdDataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=cpuid-fleet=${peer}`,
    "--unsafe-no-fsync=true",
    "--log-level=warn",
  ];
}

/** envtest's flags (toolchain.md §3.1), with RBAC on and CPU-saving options for 2 cores. */
function kubeApiserverArgs({ layout, ports, apiserverArgs }: ComponentContext): string[] {
  const pki = pkiPaths(layout.pkiDir);
  return [
    `--etcd-servers=${etcdUrl(ports)}`,
    `--bind-address=${LOOPBACK}`,
    `--advertise-address=${LOOPBACK}`,
    `--secure-port=${ports.apiserver}`,
    `--tls-cert-file=${pki.servingCert}`,
    `--tls-private-key-file=${pki.servingKey}`,
    `--client-ca-file=${pki.caCert}`,
    `--service-account-issuer=${apiserverUrl(ports)}/`,
    `--service-account-key-file=${pki.serviceAccountPublicKey}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    "--service-cluster-ip-range=10.0.0.0/24",
    "--authorization-mode=RBAC",
    "--disable-admission-plugins=ServiceAccount",
    "--allow-privileged=true",
    "--endpoint-reconciler-type=none",
    "--enable-priority-and-fairness=false",
    "--profiling=false",
    ...apiserverArgs,
  ];
}

/** Whether the component answers as ready right now. */
export async function isComponentReady(name: ComponentName, ctx: ComponentContext): Promise<boolean> {
  switch (name) {
    case "etcd": {
      const r = await httpGet(`${etcdUrl(ctx.ports)}/health`);
      return r.status === 200 && /"health"\s*:\s*"true"/.test(r.body);
    }
    case "kube-apiserver": {
      const pki = pkiPaths(ctx.layout.pkiDir);
      const ca = readFileSync(pki.caCert, "utf8");
      const readyz = await httpGet(`${apiserverUrl(ctx.ports)}/readyz`, { ca });
      if (readyz.status !== 200) return false;
      // Namespaces are created by a post-start controller; tests need `default`.
      const admin = {
        ca,
        cert: readFileSync(ctx.adminClientCert.cert, "utf8"),
        key: readFileSync(ctx.adminClientCert.key, "utf8"),
      };
      const ns = await httpGet(`${apiserverUrl(ctx.ports)}/api/v1/namespaces/default`, admin);
      return ns.status === 200;
    }
    case "nats-server": {
      const r = await httpGet(`${natsMonitorUrl(ctx.ports)}/healthz?js-enabled-only=true`);
      return r.status === 200;
    }
  }
}
