// The fleet's NATS nkey identities as seed files in a credentials directory
// (layout: shared/nats/credentials-layout.ts), for `cpuidctl nats config` and
// the local plane. Creating an identity that already exists keeps its key.

import type { FleetIdentities } from "../../shared/nats/authorization.ts";
import { hostSeedFile, serviceSeedFile } from "../../shared/nats/credentials-layout.ts";
import { ensureSeedFile, seedPublicKey } from "../nkey-seed.ts";

/** The host's seed file, created if missing. */
export function ensureHostIdentity(credsDir: string, hostId: string): string {
  return ensureSeedFile(hostSeedFile(credsDir, hostId));
}

/** Seeds of admin, controller and every host (created where missing), as public keys. */
export function ensureFleetIdentities(credsDir: string, hostIds: readonly string[]): FleetIdentities {
  const publicKey = (seedFile: string) => seedPublicKey(ensureSeedFile(seedFile));
  return {
    adminPublicKey: publicKey(serviceSeedFile(credsDir, "admin")),
    controllerPublicKey: publicKey(serviceSeedFile(credsDir, "controller")),
    hosts: hostIds.map((hostId) => ({ hostId, publicKey: publicKey(hostSeedFile(credsDir, hostId)) })),
  };
}
