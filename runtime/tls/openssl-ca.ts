// A small X.509 certificate authority driven by the `openssl` command (Node
// has no API to create certificates): a self-signed CA and certificates it
// signs, EC P-256 keys. Used for development and test PKIs only — the local
// plane's apiserver and `cpuidctl nats config --tls-dir`; production
// certificates come from the operator's own CA (deploy/README.md shows
// cert-manager).

import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

export interface CertFiles {
  cert: string;
  key: string;
}

export class OpensslError extends Error {
  override name = "OpensslError";
}

/** A self-signed CA certificate and its key. */
export function createCa(ca: CertFiles, commonName: string, days: number): void {
  openssl(["req", "-x509", ...EC_KEY, "-days", String(days), "-keyout", ca.key, "-out", ca.cert, "-subj", `/CN=${escapeRdn(commonName)}`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
}

export interface CertRequest {
  /** where the new certificate and key go */
  out: CertFiles;
  ca: CertFiles;
  /** openssl -subj form, e.g. "/O=group/CN=name" (see subject()) */
  subject: string;
  /** x509v3 extension lines, e.g. "extendedKeyUsage=clientAuth" */
  extensions: readonly string[];
  days: number;
}

/** A new key and a certificate for it signed by `ca`. */
export function issueCert(request: CertRequest): void {
  const { out, ca } = request;
  const csr = `${out.cert}.csr`;
  const ext = `${out.cert}.ext`;
  writeFileSync(ext, request.extensions.join("\n") + "\n");
  try {
    openssl(["req", ...EC_KEY, "-keyout", out.key, "-out", csr, "-subj", request.subject]);
    openssl(["x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-CAcreateserial", "-days", String(request.days), "-out", out.cert, "-extfile", ext]);
  } finally {
    rmSync(csr, { force: true });
    rmSync(ext, { force: true });
  }
}

/** An openssl -subj string: organisations (groups) then the common name, each escaped. */
export function subject(commonName: string, organisations: readonly string[] = []): string {
  return [...organisations.map((o) => `/O=${escapeRdn(o)}`), `/CN=${escapeRdn(commonName)}`].join("");
}

/** subjectAltName entries for DNS names and IP addresses (IPv4 or IPv6 literals). */
export function subjectAltNames(names: readonly string[]): string {
  return `subjectAltName=${names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(",")}`;
}

function escapeRdn(value: string): string {
  if (value.length === 0 || /[\n\r]/.test(value)) throw new OpensslError(`invalid certificate name ${JSON.stringify(value)}`);
  return value.replace(/[/\\=+,]/g, (c) => `\\${c}`);
}

export function openssl(args: string[]): void {
  try {
    execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new OpensslError("the openssl command is not installed (Debian: apt-get install openssl)", { cause: err });
    }
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new OpensslError(`openssl ${args[0]} failed: ${stderr.trim() || (err as Error).message}`, { cause: err });
  }
}
