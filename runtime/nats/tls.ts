// TLS of a NATS client: the CA that server certificates must chain to and,
// for mutual TLS, the client's own certificate and key. Each daemon and
// cpuidctl takes them as --nats-ca-file, --nats-cert-file, --nats-key-file.
//
// A TLS failure is a configuration error that retrying cannot fix (wrong CA,
// a server name the certificate does not cover, a client certificate the
// server refuses, a server without TLS), so natsTlsError() turns it into one
// clear message naming the setting to check.

import { accessSync, constants } from "node:fs";
import type { ConnectionOptions } from "@nats-io/transport-node";

export interface NatsTls {
  /** PEM CA bundle the servers' certificates are verified against; unset = the system's CAs */
  caFile?: string;
  /** PEM client certificate (mutual TLS); needs keyFile */
  certFile?: string;
  keyFile?: string;
}

export const NO_TLS_MESSAGE = "TLS: the NATS server does not offer TLS, but TLS is configured (--nats-ca-file/--nats-cert-file); refusing to connect in plaintext";

export class NatsTlsError extends Error {
  override name = "NatsTlsError";
}

/** Whether any TLS setting is given (then the client insists on TLS). */
export function usesTls(tls: NatsTls | undefined): tls is NatsTls {
  return tls !== undefined && Boolean(tls.caFile || tls.certFile || tls.keyFile);
}

/** The client's `tls` option; checks up front that every file is readable and that cert and key come together. */
export function tlsConnectionOptions(tls: NatsTls | undefined): Partial<ConnectionOptions> {
  if (!usesTls(tls)) return {};
  if (Boolean(tls.certFile) !== Boolean(tls.keyFile)) {
    throw new NatsTlsError("--nats-cert-file and --nats-key-file go together: give both for mutual TLS, or neither");
  }
  for (const [flag, file] of [["--nats-ca-file", tls.caFile], ["--nats-cert-file", tls.certFile], ["--nats-key-file", tls.keyFile]] as const) {
    if (!file) continue;
    try {
      accessSync(file, constants.R_OK);
    } catch (err) {
      throw new NatsTlsError(`${flag} ${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`);
    }
  }
  return { tls: { ...(tls.caFile ? { caFile: tls.caFile } : {}), ...(tls.certFile ? { certFile: tls.certFile, keyFile: tls.keyFile } : {}) } };
}

/** Node's codes for a server certificate that does not verify. */
const SERVER_CERT_CODES = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_SIGNATURE_FAILURE",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
]);

/** The error explained when it is a TLS failure; undefined for any other error. */
export function natsTlsError(err: unknown, tls: NatsTls | undefined): NatsTlsError | undefined {
  const { code, message } = rootCause(err);
  const ca = tls?.caFile ? `the CA in --nats-ca-file ${tls.caFile}` : "the system's CAs (no --nats-ca-file)";
  if (code && SERVER_CERT_CODES.has(code)) {
    return new NatsTlsError(`TLS: the NATS server's certificate does not verify against ${ca} (${code}: ${message})`);
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return new NatsTlsError(`TLS: the NATS server's certificate does not name the host in the URL (${message}); connect by a name the certificate lists`);
  }
  if (code?.startsWith("ERR_SSL_") && /ALERT/.test(code)) {
    const cert = tls?.certFile ? `client certificate ${tls.certFile}` : "connection without a client certificate (no --nats-cert-file)";
    return new NatsTlsError(`TLS: the NATS server refused the ${cert} (${code}); it requires one signed by its CA`);
  }
  if (/server does not support 'tls'/.test(message)) {
    return new NatsTlsError(NO_TLS_MESSAGE);
  }
  return undefined;
}

function rootCause(err: unknown): { code?: string; message: string } {
  let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined;
  while (e && typeof e === "object") {
    if (typeof e.code === "string" && (SERVER_CERT_CODES.has(e.code) || e.code.startsWith("ERR_TLS_") || e.code.startsWith("ERR_SSL_"))) {
      return { code: e.code, message: String(e.message) };
    }
    if (!e.cause) break;
    e = e.cause;
  }
  return { message: err instanceof Error ? err.message : String(err) };
}
