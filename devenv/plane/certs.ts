// Certificates for the local control plane, issued with openssl: one CA that
// signs the apiserver's serving certificate and every client certificate, and
// the service-account signing key pair.
//
//   <pki>/ca.crt ca.key                  the CA
//   <pki>/apiserver.crt apiserver.key    serving cert for 127.0.0.1 / localhost
//   <pki>/sa.key sa.pub                  service-account token signing keys
//   <pki>/users/<user>.crt <user>.key    client certs: CN=<user>, O=<group>…

import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const VALID_DAYS = "7";
const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

export interface PkiPaths {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  serviceAccountKey: string;
  serviceAccountPublicKey: string;
}

export interface ClientCert {
  cert: string;
  key: string;
}

export function pkiPaths(pkiDir: string): PkiPaths {
  return {
    caCert: join(pkiDir, "ca.crt"),
    caKey: join(pkiDir, "ca.key"),
    servingCert: join(pkiDir, "apiserver.crt"),
    servingKey: join(pkiDir, "apiserver.key"),
    serviceAccountKey: join(pkiDir, "sa.key"),
    serviceAccountPublicKey: join(pkiDir, "sa.pub"),
  };
}

export function createPki(pkiDir: string): PkiPaths {
  mkdirSync(pkiDir, { recursive: true, mode: 0o700 });
  const p = pkiPaths(pkiDir);
  openssl(["req", "-x509", ...EC_KEY, "-days", VALID_DAYS, "-keyout", p.caKey, "-out", p.caCert, "-subj", "/CN=cpuid-fleet-test-ca"]);
  issue(pkiDir, "apiserver", "/CN=kube-apiserver", [
    "subjectAltName=IP:127.0.0.1,DNS:localhost",
    "extendedKeyUsage=serverAuth",
    "keyUsage=digitalSignature,keyEncipherment",
  ]);
  openssl(["genrsa", "-out", p.serviceAccountKey, "2048"]);
  openssl(["rsa", "-in", p.serviceAccountKey, "-pubout", "-out", p.serviceAccountPublicKey]);
  return p;
}

/** A client certificate Kubernetes reads as user `user` in `groups`. */
export function issueClientCert(pkiDir: string, user: string, groups: readonly string[]): ClientCert {
  const usersDir = join(pkiDir, "users");
  mkdirSync(usersDir, { recursive: true, mode: 0o700 });
  const subject = [...groups.map((g) => `/O=${escapeRdn(g)}`), `/CN=${escapeRdn(user)}`].join("");
  return issue(usersDir, user, subject, ["extendedKeyUsage=clientAuth", "keyUsage=digitalSignature,keyEncipherment"], pkiDir);
}

export function readPem(path: string): string {
  return readFileSync(path, "utf8");
}

function issue(dir: string, name: string, subject: string, extensions: string[], caDir = dir): ClientCert {
  const ca = pkiPaths(caDir);
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, extensions.join("\n") + "\n");
  try {
    openssl(["req", ...EC_KEY, "-keyout", key, "-out", csr, "-subj", subject]);
    openssl(["x509", "-req", "-in", csr, "-CA", ca.caCert, "-CAkey", ca.caKey, "-CAcreateserial", "-days", VALID_DAYS, "-out", cert, "-extfile", ext]);
  } finally {
    rmSync(csr, { force: true });
    rmSync(ext, { force: true });
  }
  return { cert, key };
}

function escapeRdn(value: string): string {
  if (value.length === 0 || /[\n\r]/.test(value)) throw new Error(`invalid certificate name ${JSON.stringify(value)}`);
  return value.replace(/[/\\=+,]/g, (c) => `\\${c}`);
}

function openssl(args: string[]): void {
  try {
    execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim() || (err as Error).message}`, { cause: err });
  }
}
