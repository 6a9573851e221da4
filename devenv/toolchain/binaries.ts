// What each external binary is and how to recognise the pinned version. All
// of them are built from Go modules when nothing on the machine has them.

import { ETCD_VERSION, KUBERNETES_VERSION, NATS_SERVER_VERSION, PROMETHEUS_VERSION, TOXIPROXY_VERSION } from "./versions.ts";

/** What the local control plane runs: the demo, `cluster:up`, the tests' shared plane. */
export const CONTROL_PLANE_BINARIES = ["etcd", "kube-apiserver", "kubectl", "nats-server"] as const;
export type ControlPlaneBinaryName = (typeof CONTROL_PLANE_BINARIES)[number];

/**
 * Every pinned binary; promtool only checks the alert rules (deploy/prometheus),
 * toxiproxy-server only injects wire faults (devenv/toxiproxy.ts).
 */
export const BINARY_NAMES = [...CONTROL_PLANE_BINARIES, "promtool", "toxiproxy-server"] as const;
export type BinaryName = (typeof BINARY_NAMES)[number];

export interface BinarySpec {
  name: BinaryName;
  version: string;
  /** Arguments that make the binary print its version. */
  versionArgs: string[];
  /** envtest's asset directory may hold it. */
  inKubebuilderAssets: boolean;
}

export const BINARIES: Record<BinaryName, BinarySpec> = {
  etcd: { name: "etcd", version: ETCD_VERSION, versionArgs: ["--version"], inKubebuilderAssets: true },
  "kube-apiserver": { name: "kube-apiserver", version: KUBERNETES_VERSION, versionArgs: ["--version"], inKubebuilderAssets: true },
  kubectl: { name: "kubectl", version: KUBERNETES_VERSION, versionArgs: ["version", "--client"], inKubebuilderAssets: true },
  "nats-server": { name: "nats-server", version: NATS_SERVER_VERSION, versionArgs: ["--version"], inKubebuilderAssets: false },
  promtool: { name: "promtool", version: PROMETHEUS_VERSION, versionArgs: ["--version"], inKubebuilderAssets: false },
  "toxiproxy-server": { name: "toxiproxy-server", version: TOXIPROXY_VERSION, versionArgs: ["-version"], inKubebuilderAssets: false },
};

/**
 * Whether a binary's version output names exactly `version` ("v1.34.4" also
 * matches "1.34.4"; "1.34.40" and "1.34.4-dirty" do not).
 */
export function reportsVersion(output: string, version: string): boolean {
  const bare = version.replace(/^v/, "").replace(/[.]/g, "\\.");
  return new RegExp(`(?<![\\d.])v?${bare}(?![\\d.-])`).test(output);
}

export const GO_TOOLCHAIN_HINT =
  "put a Go toolchain >= 1.26.7 on PATH (the `go` command; prometheus v0.316.0 declares go 1.26.7, the others go 1.26 or older) so it can be built from the Go module proxy";
