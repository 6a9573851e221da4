// Where each NATS identity's nkey seed lives inside a credentials directory
// (what `CPUID_FLEET_CREDS_DIR` points at). Pure: paths only.
//
//   <dir>/admin.nk                 unrestricted (bucket setup, debugging)
//   <dir>/controller.nk            the controller
//   <dir>/hosts/<host-token>.nk    one per host, see hostToken()
//
// Each file holds one nkey seed (`SU…`) and a trailing newline, mode 0600.

import { join } from "node:path";
import { hostToken } from "./subjects.ts";

export type ServiceIdentity = "admin" | "controller";

export const SEED_FILE_SUFFIX = ".nk";
export const HOSTS_CREDS_SUBDIR = "hosts";

export function serviceSeedFile(credsDir: string, identity: ServiceIdentity): string {
  return join(credsDir, identity + SEED_FILE_SUFFIX);
}

export function hostSeedFile(credsDir: string, hostId: string): string {
  return join(credsDir, HOSTS_CREDS_SUBDIR, hostToken(hostId) + SEED_FILE_SUFFIX);
}
