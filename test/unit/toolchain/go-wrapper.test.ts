import { describe, expect, it } from "vitest";
import { reportsVersion } from "../../../devenv/toolchain/binaries.ts";
import {
  goDirective,
  kubernetesStagingModules,
  kubernetesVersionLdflags,
  kubernetesWrapperGoMod,
  plainWrapperGoMod,
  prometheusModuleVersion,
  prometheusVersionLdflags,
} from "../../../devenv/toolchain/go-wrapper.ts";

// Abridged from k8s.io/kubernetes v1.34.4's go.mod.
const UPSTREAM = `// This is a generated file. Do not edit directly.

module k8s.io/kubernetes

go 1.24.0

godebug default=go1.24

require (
	github.com/blang/semver/v4 v4.0.0
	k8s.io/api v0.0.0
	k8s.io/apiextensions-apiserver v0.0.0
	k8s.io/client-go v0.0.0
	k8s.io/kube-openapi v0.0.0-20250710124328-f3f2b991d03b
)

require k8s.io/externaljwt v0.0.0

replace (
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/client-go => ./staging/src/k8s.io/client-go
)
`;

describe("Kubernetes wrapper module", () => {
  it("finds exactly the staging modules required at v0.0.0", () => {
    expect(kubernetesStagingModules(UPSTREAM)).toEqual([
      "k8s.io/api",
      "k8s.io/apiextensions-apiserver",
      "k8s.io/client-go",
      "k8s.io/externaljwt",
    ]);
  });

  it("copies go and godebug lines and replaces each staging module with its v0 tag", () => {
    expect(kubernetesWrapperGoMod("example.invalid/w", "v1.34.4", UPSTREAM)).toBe(
      [
        "module example.invalid/w",
        "",
        "go 1.24.0",
        "",
        "godebug default=go1.24",
        "",
        "require k8s.io/kubernetes v1.34.4",
        "",
        "replace (",
        "\tk8s.io/api => k8s.io/api v0.34.4",
        "\tk8s.io/apiextensions-apiserver => k8s.io/apiextensions-apiserver v0.34.4",
        "\tk8s.io/client-go => k8s.io/client-go v0.34.4",
        "\tk8s.io/externaljwt => k8s.io/externaljwt v0.34.4",
        ")",
        "",
      ].join("\n"),
    );
  });

  it("refuses non-release versions and go.mods without staging modules", () => {
    expect(() => kubernetesWrapperGoMod("m", "v1.34", UPSTREAM)).toThrow(/release version/);
    expect(() => kubernetesStagingModules("module x\n\ngo 1.24\n")).toThrow(/staging/);
  });

  it("stamps the version into both version packages", () => {
    const flags = kubernetesVersionLdflags("v1.34.4");
    for (const pkg of ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"]) {
      expect(flags).toContain(`-X ${pkg}.gitVersion=v1.34.4`);
      expect(flags).toContain(`-X ${pkg}.gitMinor=34`);
    }
  });

  it("plain wrappers carry the upstream go directive", () => {
    expect(goDirective("module go.etcd.io/etcd/server/v3\n\ngo 1.25.0\n\ntoolchain go1.25.5\n")).toBe("1.25.0");
    expect(plainWrapperGoMod("example.invalid/etcd", "1.25.0")).toBe("module example.invalid/etcd\n\ngo 1.25.0\n");
  });
});

describe("Prometheus module build", () => {
  it.each([
    ["v3.16.0", "v0.316.0"],
    ["v3.5.2", "v0.305.2"],
    ["v3.0.1", "v0.300.1"],
  ])("release %s is module version %s", (release, module) => {
    expect(prometheusModuleVersion(release)).toBe(module);
  });

  it("refuses versions outside the Prometheus 3 scheme", () => {
    for (const v of ["3.16.0", "v2.53.0", "v3.160.0", "v3.16", "v3.16.0-rc.0"]) {
      expect(() => prometheusModuleVersion(v), v).toThrow(/Prometheus 3 release/);
    }
  });

  it("stamps the release (without v) into prometheus/common's version", () => {
    expect(prometheusVersionLdflags("v3.16.0")).toBe("-s -w -X github.com/prometheus/common/version.Version=3.16.0");
  });
});

describe("version recognition", () => {
  it.each([
    ["Kubernetes v1.34.4", "v1.34.4", true],
    ["Client Version: v1.34.4\nKustomize Version: v5.7.1", "v1.34.4", true],
    ["Client Version: v1.32.4-dispatcher", "v1.34.4", false],
    ["Kubernetes v1.34.40", "v1.34.4", false],
    ["Kubernetes v1.34.4-dirty", "v1.34.4", false],
    ["etcd Version: 3.6.16\nGit SHA: GitNotFound", "v3.6.16", true],
    ["nats-server: v2.15.2", "v2.15.2", true],
    ["promtool, version 3.16.0 (branch: , revision: unknown)", "v3.16.0", true],
    ["promtool, version 13.16.0", "v3.16.0", false],
    ["promtool, version  (branch: , revision: unknown)", "v3.16.0", false],
  ])("%j reports %s: %s", (output, version, expected) => {
    expect(reportsVersion(output, version)).toBe(expected);
  });
});
