// What each external binary is, how to recognise the pinned version, and
// which provider can make it when nothing on the machine has it.

import { ETCD_VERSION, KUBERNETES_VERSION, NATS_SERVER_VERSION, PROMTOOL_VERSION } from "./versions.ts";

export const BINARY_NAMES = ["etcd", "kube-apiserver", "kubectl", "nats-server", "promtool"] as const;
export type BinaryName = (typeof BINARY_NAMES)[number];

export type Provider = "go" | "debian";

export interface BinarySpec {
  name: BinaryName;
  version: string;
  /** Arguments that make the binary print its version. */
  versionArgs: string[];
  /** envtest's asset directory may hold it. */
  inKubebuilderAssets: boolean;
  provider: Provider;
}

export const BINARIES: Record<BinaryName, BinarySpec> = {
  etcd: { name: "etcd", version: ETCD_VERSION, versionArgs: ["--version"], inKubebuilderAssets: true, provider: "go" },
  "kube-apiserver": {
    name: "kube-apiserver",
    version: KUBERNETES_VERSION,
    versionArgs: ["--version"],
    inKubebuilderAssets: true,
    provider: "go",
  },
  kubectl: {
    name: "kubectl",
    version: KUBERNETES_VERSION,
    versionArgs: ["version", "--client"],
    inKubebuilderAssets: true,
    provider: "go",
  },
  "nats-server": {
    name: "nats-server",
    version: NATS_SERVER_VERSION,
    versionArgs: ["--version"],
    inKubebuilderAssets: false,
    provider: "go",
  },
  promtool: { name: "promtool", version: PROMTOOL_VERSION, versionArgs: ["--version"], inKubebuilderAssets: false, provider: "debian" },
};

/**
 * Whether a binary's version output names exactly `version` ("v1.34.4" also
 * matches "1.34.4"; "1.34.40" and "1.34.4-dirty" do not; Debian's "+ds"
 * repackaging suffix does).
 */
export function reportsVersion(output: string, version: string): boolean {
  const bare = version.replace(/^v/, "").replace(/[.]/g, "\\.");
  return new RegExp(`(?<![\\d.])v?${bare}(?![\\d.-])`).test(output);
}

export function providerHint(provider: Provider): string {
  return provider === "go"
    ? "put a Go toolchain >= 1.26 on PATH (the `go` command; etcd and nats-server declare go 1.26.0) so it can be built from the Go module proxy"
    : "run on Debian/Ubuntu with apt-get (promtool is unpacked from the `prometheus` package)";
}
