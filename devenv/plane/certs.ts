// Certificates for the local control plane, issued with openssl: one CA that
// signs the apiserver's serving certificate and every client certificate, and
// the service-account signing key pair.
//
//   <pki>/ca.crt ca.key                  the CA
//   <pki>/apiserver.crt apiserver.key    serving cert for 127.0.0.1 / localhost
//   <pki>/sa.key sa.pub                  service-account token signing keys
//   <pki>/users/<user>.crt <user>.key    client certs: CN=<user>, O=<group>…

import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createCa, issueCert, openssl, subject, subjectAltNames } from "../../runtime/tls/openssl-ca.ts";

const VALID_DAYS = 7;

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
  const ca = { cert: p.caCert, key: p.caKey };
  createCa(ca, "cpuid-fleet-test-ca", VALID_DAYS);
  issueCert({
    out: { cert: p.servingCert, key: p.servingKey },
    ca,
    subject: subject("kube-apiserver"),
    extensions: [subjectAltNames(["127.0.0.1", "localhost"]), "extendedKeyUsage=serverAuth", "keyUsage=digitalSignature,keyEncipherment"],
    days: VALID_DAYS,
  });
  openssl(["genrsa", "-out", p.serviceAccountKey, "2048"]);
  openssl(["rsa", "-in", p.serviceAccountKey, "-pubout", "-out", p.serviceAccountPublicKey]);
  return p;
}

/** A client certificate Kubernetes reads as user `user` in `groups`. */
export function issueClientCert(pkiDir: string, user: string, groups: readonly string[]): ClientCert {
  const usersDir = join(pkiDir, "users");
  mkdirSync(usersDir, { recursive: true, mode: 0o700 });
  const p = pkiPaths(pkiDir);
  const out = { cert: join(usersDir, `${user}.crt`), key: join(usersDir, `${user}.key`) };
  issueCert({
    out,
    ca: { cert: p.caCert, key: p.caKey },
    subject: subject(user, groups),
    extensions: ["extendedKeyUsage=clientAuth", "keyUsage=digitalSignature,keyEncipherment"],
    days: VALID_DAYS,
  });
  return out;
}

export function readPem(path: string): string {
  return readFileSync(path, "utf8");
}
