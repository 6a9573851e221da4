// How cpuidctl reaches NATS for fleet inspection: --nats-url / CPUID_FLEET_NATS_URL
// and an nkey seed from --nkey-seed-file, or the controller's (else admin's)
// seed in CPUID_FLEET_CREDS_DIR.

import { existsSync, readFileSync } from "node:fs";
import { connect, nkeyAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { serviceSeedFile } from "../shared/nats/credentials-layout.ts";

export const NATS_OPTIONS = {
  "nats-url": { type: "string" },
  "nkey-seed-file": { type: "string" },
} as const;

export const NATS_USAGE = `  --nats-url <url>        default $CPUID_FLEET_NATS_URL or nats://127.0.0.1:4222
  --nkey-seed-file <f>    default controller.nk (else admin.nk) in $CPUID_FLEET_CREDS_DIR`;

export function connectCli(values: { "nats-url"?: string; "nkey-seed-file"?: string }): Promise<NatsConnection> {
  const servers = values["nats-url"] ?? process.env.CPUID_FLEET_NATS_URL ?? "nats://127.0.0.1:4222";
  const credsDir = process.env.CPUID_FLEET_CREDS_DIR;
  const seedFile =
    values["nkey-seed-file"] ??
    (credsDir ? [serviceSeedFile(credsDir, "controller"), serviceSeedFile(credsDir, "admin")].find((f) => existsSync(f)) : undefined);
  return connect({
    servers: servers.split(","),
    name: "cpuidctl",
    timeout: 5_000,
    ...(seedFile ? { authenticator: nkeyAuthenticator(new TextEncoder().encode(readFileSync(seedFile, "utf8").trim())) } : {}),
  });
}
