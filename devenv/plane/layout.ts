// Where everything of one control plane lives. `dir` is the plane directory;
// etcd's data directory is separate so it can sit on tmpfs.
//
//   <dir>/plane.json            state: ports, binaries, pids, NATS hosts
//   <dir>/bin/                  symlinks to the binaries in use (put on PATH)
//   <dir>/pki/                  CA, serving cert, SA keys, users/<name>.crt|key
//   <dir>/kubeconfig            admin (O=system:masters)
//   <dir>/users/<name>.kubeconfig
//   <dir>/creds/                NATS nkey seeds (shared/nats/credentials-layout.ts)
//   <dir>/nats/nats.conf        generated server config
//   <dir>/nats/jetstream/       JetStream store
//   <dir>/logs/<component>.log
//   <dir>/kubectl-cache/        kubectl discovery cache for the tests' kubectl calls

import { join } from "node:path";

export interface PlaneLayout {
  dir: string;
  stateFile: string;
  binDir: string;
  pkiDir: string;
  kubeconfig: string;
  usersDir: string;
  credsDir: string;
  natsConfig: string;
  natsStoreDir: string;
  logsDir: string;
  kubectlCacheDir: string;
}

export function planeLayout(dir: string): PlaneLayout {
  return {
    dir,
    stateFile: join(dir, "plane.json"),
    binDir: join(dir, "bin"),
    pkiDir: join(dir, "pki"),
    kubeconfig: join(dir, "kubeconfig"),
    usersDir: join(dir, "users"),
    credsDir: join(dir, "creds"),
    natsConfig: join(dir, "nats", "nats.conf"),
    natsStoreDir: join(dir, "nats", "jetstream"),
    logsDir: join(dir, "logs"),
    kubectlCacheDir: join(dir, "kubectl-cache"),
  };
}

export function logFile(layout: PlaneLayout, component: string): string {
  return join(layout.logsDir, `${component}.log`);
}

export function userKubeconfig(layout: PlaneLayout, user: string): string {
  return join(layout.usersDir, `${user}.kubeconfig`);
}
