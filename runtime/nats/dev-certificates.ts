// A development PKI for the fleet's NATS (layout: shared/nats/tls-layout.ts),
// for `cpuidctl nats config --tls-dir` and the tests: a CA, the servers'
// certificate for the given names, and one client certificate per identity.
// Like the nkeys, existing files are kept, so re-running with more hosts only
// adds certificates (a new --tls-names needs the old server.crt removed).

import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { ServiceIdentity } from "../../shared/nats/credentials-layout.ts";
import { tlsCaFiles, tlsHostFiles, tlsServerFiles, tlsServiceFiles, type TlsFiles } from "../../shared/nats/tls-layout.ts";
import { createCa, issueCert, subject, subjectAltNames } from "../tls/openssl-ca.ts";

/** development certificates: a year, so a lab does not break over a long weekend */
const VALID_DAYS = 365;
const KEY_USAGE = "keyUsage=critical,digitalSignature,keyEncipherment";

export interface FleetCertificates {
  ca: TlsFiles;
  server: TlsFiles;
}

export function ensureFleetCertificates(tlsDir: string, hostIds: readonly string[], serverNames: readonly string[]): FleetCertificates {
  if (serverNames.length === 0) throw new Error("the servers' certificate needs at least one DNS name or IP address");
  mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
  const ca = tlsCaFiles(tlsDir);
  if (!existsSync(ca.cert)) createCa(ca, "cpuid-fleet NATS development CA", VALID_DAYS);
  const server = tlsServerFiles(tlsDir);
  // serverAuth and clientAuth: servers also dial each other on the route port
  ensureCert(ca, server, "cpuid-fleet-nats", [subjectAltNames(serverNames), "extendedKeyUsage=serverAuth,clientAuth", KEY_USAGE]);
  for (const identity of ["admin", "controller"] as const satisfies ServiceIdentity[]) ensureClientCert(ca, tlsServiceFiles(tlsDir, identity), identity);
  // a common name holds at most 64 characters; it only labels the certificate (the nkey decides permissions)
  for (const hostId of hostIds) ensureClientCert(ca, tlsHostFiles(tlsDir, hostId), `host:${hostId}`.slice(0, 64));
  return { ca, server };
}

function ensureClientCert(ca: TlsFiles, out: TlsFiles, commonName: string): void {
  ensureCert(ca, out, commonName, ["extendedKeyUsage=clientAuth", KEY_USAGE]);
}

function ensureCert(ca: TlsFiles, out: TlsFiles, commonName: string, extensions: string[]): void {
  if (existsSync(out.cert)) return;
  mkdirSync(dirname(out.cert), { recursive: true, mode: 0o700 });
  issueCert({ out, ca, subject: subject(commonName), extensions, days: VALID_DAYS });
}
