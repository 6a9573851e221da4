// Pure text generation for the Go builds: wrapper modules for commands whose
// own go.mod cannot be `go install`ed (replace directives; see toolchain.md
// §1.1–1.4 for Kubernetes, §2.2 for etcd), module versions and the -ldflags
// that stamp release versions into the binaries.

/** The `go` directive of a go.mod, e.g. "1.24.0". */
export function goDirective(goMod: string): string {
  const m = /^go\s+(\S+)\s*$/m.exec(goMod);
  if (!m) throw new Error("go.mod has no go directive");
  return m[1];
}

/** `godebug` directives (single-line form) of a go.mod, verbatim. */
export function godebugLines(goMod: string): string[] {
  return goMod.split("\n").filter((line) => /^godebug\s+\S/.test(line)).map((line) => line.trim());
}

/**
 * Staging modules k8s.io/kubernetes requires at the placeholder version
 * v0.0.0 (each is replaced by a local directory upstream).
 */
export function kubernetesStagingModules(kubernetesGoMod: string): string[] {
  const modules = new Set<string>();
  for (const m of kubernetesGoMod.matchAll(/^\s*(?:require\s+)?(k8s\.io\/[\w.\-/]+)\s+v0\.0\.0\s*(?:\/\/.*)?$/gm)) {
    modules.add(m[1]);
  }
  if (modules.size === 0) throw new Error("k8s.io/kubernetes go.mod lists no k8s.io/* v0.0.0 staging modules");
  return [...modules].sort();
}

/** v1.34.4 → v0.34.4: the published tag of the staging modules. */
export function kubernetesStagingVersion(kubernetesVersion: string): string {
  const m = /^v1\.(\d+\.\d+)$/.exec(kubernetesVersion);
  if (!m) throw new Error(`not a Kubernetes release version: ${kubernetesVersion}`);
  return `v0.${m[1]}`;
}

export interface KubernetesVersionParts {
  major: string;
  minor: string;
}

export function kubernetesVersionParts(kubernetesVersion: string): KubernetesVersionParts {
  const m = /^v(\d+)\.(\d+)\.\d+$/.exec(kubernetesVersion);
  if (!m) throw new Error(`not a Kubernetes release version: ${kubernetesVersion}`);
  return { major: m[1], minor: m[2] };
}

/**
 * go.mod of a wrapper module that requires k8s.io/kubernetes at `version` and
 * routes every staging module to its published tag. Its `go` and `godebug`
 * lines are upstream's, so the binaries get upstream's GODEBUG defaults.
 */
export function kubernetesWrapperGoMod(modulePath: string, kubernetesVersion: string, kubernetesGoMod: string): string {
  const staging = kubernetesStagingVersion(kubernetesVersion);
  return [
    `module ${modulePath}`,
    "",
    `go ${goDirective(kubernetesGoMod)}`,
    "",
    ...godebugLines(kubernetesGoMod),
    "",
    `require k8s.io/kubernetes ${kubernetesVersion}`,
    "",
    "replace (",
    ...kubernetesStagingModules(kubernetesGoMod).map((m) => `\t${m} => ${m} ${staging}`),
    ")",
    "",
  ].join("\n");
}

/** go.mod of a wrapper module with no requirements yet (filled by `go get`). */
export function plainWrapperGoMod(modulePath: string, goVersion: string): string {
  return `module ${modulePath}\n\ngo ${goVersion}\n`;
}

/**
 * -ldflags setting the version strings that `kube-apiserver --version`,
 * `/version` and `kubectl version` report (upstream's hack/lib/version.sh sets
 * the same variables in both packages).
 */
export function kubernetesVersionLdflags(kubernetesVersion: string): string {
  const { major, minor } = kubernetesVersionParts(kubernetesVersion);
  const flags = ["-s", "-w"];
  for (const pkg of ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"]) {
    flags.push(
      `-X ${pkg}.gitVersion=${kubernetesVersion}`,
      `-X ${pkg}.gitMajor=${major}`,
      `-X ${pkg}.gitMinor=${minor}`,
      `-X ${pkg}.gitTreeState=clean`,
    );
  }
  return flags.join(" ");
}

function prometheusReleaseParts(prometheusVersion: string): { major: string; minor: string; patch: string } {
  // Prometheus 2 used v0.<minor>.<patch>; only the 3.x scheme is handled.
  const m = /^v([3-9])\.(\d{1,2})\.(\d+)$/.exec(prometheusVersion);
  if (!m) throw new Error(`not a Prometheus 3 release version: ${prometheusVersion}`);
  return { major: m[1], minor: m[2], patch: m[3] };
}

/**
 * v3.16.0 → v0.316.0: Prometheus publishes its Go module as v0.<major><minor
 * as two digits>.<patch> (a v3 module would need a /v3 import path).
 */
export function prometheusModuleVersion(prometheusVersion: string): string {
  const { major, minor, patch } = prometheusReleaseParts(prometheusVersion);
  return `v0.${major}${minor.padStart(2, "0")}.${patch}`;
}

/**
 * -ldflags for promtool: a module build leaves prometheus/common's version
 * empty (upstream's release tooling sets it), so `promtool --version` would
 * not name the release.
 */
export function prometheusVersionLdflags(prometheusVersion: string): string {
  const { major, minor, patch } = prometheusReleaseParts(prometheusVersion);
  return `-s -w -X github.com/prometheus/common/version.Version=${major}.${minor}.${patch}`;
}
