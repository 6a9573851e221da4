// Where the NATS TLS files of a fleet live inside a TLS directory (what
// `cpuidctl nats config --tls-dir` writes, mirroring the nkey credentials
// layout). Pure: paths only.
//
//   <dir>/ca.crt ca.key               the CA every client verifies the servers with
//   <dir>/server.crt server.key       the nats-servers' certificate (client and route ports)
//   <dir>/admin.crt admin.key         client certificates for mutual TLS
//   <dir>/controller.crt controller.key
//   <dir>/hosts/<host-token>.crt .key one per host, given only to that host's agent

import { join } from "node:path";
import type { ServiceIdentity } from "./credentials-layout.ts";
import { hostToken } from "./subjects.ts";

export interface TlsFiles {
  cert: string;
  key: string;
}

export const TLS_HOSTS_SUBDIR = "hosts";

export function tlsCaFiles(tlsDir: string): TlsFiles {
  return { cert: join(tlsDir, "ca.crt"), key: join(tlsDir, "ca.key") };
}

export function tlsServerFiles(tlsDir: string): TlsFiles {
  return { cert: join(tlsDir, "server.crt"), key: join(tlsDir, "server.key") };
}

export function tlsServiceFiles(tlsDir: string, identity: ServiceIdentity): TlsFiles {
  return { cert: join(tlsDir, `${identity}.crt`), key: join(tlsDir, `${identity}.key`) };
}

export function tlsHostFiles(tlsDir: string, hostId: string): TlsFiles {
  const base = join(tlsDir, TLS_HOSTS_SUBDIR, hostToken(hostId));
  return { cert: `${base}.crt`, key: `${base}.key` };
}
