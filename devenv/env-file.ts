// The shell file `npm run cluster:up` writes (.cpuid-fleet/env): `source` it
// to point kubectl, NATS clients and cpuidctl at the local plane.

export interface ClusterEnv {
  kubeconfig: string;
  natsUrl: string;
  credsDir: string;
  planeDir: string;
  /** Directories to put in front of PATH (the pinned binaries). */
  pathDirs: readonly string[];
}

export function renderEnvFile(env: ClusterEnv): string {
  const lines = [
    "# cpuid-fleet local control plane (npm run cluster:up). Use: source .cpuid-fleet/env",
    `export KUBECONFIG=${shellQuote(env.kubeconfig)}`,
    `export NATS_URL=${shellQuote(env.natsUrl)}`,
    `export CPUID_FLEET_CREDS_DIR=${shellQuote(env.credsDir)}`,
    `export CPUID_FLEET_PLANE_DIR=${shellQuote(env.planeDir)}`,
  ];
  if (env.pathDirs.length > 0) lines.push(`export PATH=${shellQuote(env.pathDirs.join(":"))}:"$PATH"`);
  return lines.join("\n") + "\n";
}

export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
