// The nats-server `tls { … }` block: the server presents `cert`, and with
// `verify` every client must present a certificate signed by `caFile`
// (mutual TLS). The same block secures the cluster's route port. Pure; paths
// are JSON-quoted like every string of the fleet's server configuration.

export interface ServerTls {
  certFile: string;
  keyFile: string;
  caFile: string;
  /** require a client certificate signed by the CA */
  verify: boolean;
}

/** handshake time allowed, in seconds (the server's default of 0.5 s is tight for loaded hosts) */
const HANDSHAKE_TIMEOUT_SECONDS = 2;

export function renderServerTls(tls: ServerTls, indent = ""): string {
  return [
    `${indent}tls {`,
    `${indent}  cert_file: ${JSON.stringify(tls.certFile)}`,
    `${indent}  key_file: ${JSON.stringify(tls.keyFile)}`,
    `${indent}  ca_file: ${JSON.stringify(tls.caFile)}`,
    `${indent}  verify: ${tls.verify}`,
    `${indent}  timeout: ${HANDSHAKE_TIMEOUT_SECONDS}`,
    `${indent}}`,
  ].join("\n");
}
