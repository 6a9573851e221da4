// NATS nkey identities of the plane, kept as seed files in the credentials
// directory (layout: shared/nats/credentials-layout.ts). Creating an identity
// that already exists keeps its key.

import { createUser, fromSeed } from "@nats-io/nkeys";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { FleetIdentities } from "../../shared/nats/authorization.ts";
import { hostSeedFile, serviceSeedFile, type ServiceIdentity } from "../../shared/nats/credentials-layout.ts";

export function ensureServiceIdentity(credsDir: string, identity: ServiceIdentity): string {
  return ensureSeedFile(serviceSeedFile(credsDir, identity));
}

export function ensureHostIdentity(credsDir: string, hostId: string): string {
  return ensureSeedFile(hostSeedFile(credsDir, hostId));
}

/** Public keys of admin, controller and the given hosts (all must exist). */
export function readFleetIdentities(credsDir: string, hostIds: readonly string[]): FleetIdentities {
  return {
    adminPublicKey: publicKeyOf(serviceSeedFile(credsDir, "admin")),
    controllerPublicKey: publicKeyOf(serviceSeedFile(credsDir, "controller")),
    hosts: hostIds.map((hostId) => ({ hostId, publicKey: publicKeyOf(hostSeedFile(credsDir, hostId)) })),
  };
}

export function readSeed(seedFile: string): Uint8Array {
  return new TextEncoder().encode(readFileSync(seedFile, "utf8").trim());
}

/** Returns the seed file path; creates a new user key there if there is none. */
function ensureSeedFile(seedFile: string): string {
  if (!existsSync(seedFile)) {
    mkdirSync(dirname(seedFile), { recursive: true, mode: 0o700 });
    const seed = new TextDecoder().decode(createUser().getSeed());
    writeFileSync(seedFile, seed + "\n", { mode: 0o600, flag: "wx" });
  }
  return seedFile;
}

function publicKeyOf(seedFile: string): string {
  return fromSeed(readSeed(seedFile)).getPublicKey();
}
