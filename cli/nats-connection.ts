// How cpuidctl reaches NATS (fleet inspection, the audit dry run): --nats-url,
// else $NATS_URL (what `npm run cluster:up` exports); an nkey seed from
// --nats-seed-file, else $CPUID_FLEET_NATS_SEED_FILE, else the controller's
// (or admin's) seed in $CPUID_FLEET_CREDS_DIR; TLS from --nats-ca-file,
// --nats-cert-file and --nats-key-file, else $CPUID_FLEET_NATS_CA_FILE,
// $CPUID_FLEET_NATS_CERT_FILE and $CPUID_FLEET_NATS_KEY_FILE.

import { existsSync } from "node:fs";
import type { NatsConnection } from "@nats-io/transport-node";
import { UsageError } from "./command.ts";
import { connectNats } from "../runtime/nats/connect.ts";
import { serviceSeedFile } from "../shared/nats/credentials-layout.ts";

export const NATS_OPTIONS = {
  "nats-url": { type: "string" },
  "nats-seed-file": { type: "string" },
  "nats-ca-file": { type: "string" },
  "nats-cert-file": { type: "string" },
  "nats-key-file": { type: "string" },
} as const;

export const NATS_USAGE = `  --nats-url <url>        default $NATS_URL, else nats://127.0.0.1:4222
  --nats-seed-file <f>    default $CPUID_FLEET_NATS_SEED_FILE, else controller.nk
                          (or admin.nk) in $CPUID_FLEET_CREDS_DIR
  --nats-ca-file <f>      CA of the servers' certificates (TLS); default $CPUID_FLEET_NATS_CA_FILE
  --nats-cert-file <f>    client certificate for mutual TLS; default $CPUID_FLEET_NATS_CERT_FILE
  --nats-key-file <f>     its key; default $CPUID_FLEET_NATS_KEY_FILE`;

function defaultSeedFile(env: NodeJS.ProcessEnv): string | undefined {
  if (env.CPUID_FLEET_NATS_SEED_FILE) return env.CPUID_FLEET_NATS_SEED_FILE;
  const dir = env.CPUID_FLEET_CREDS_DIR;
  return dir ? [serviceSeedFile(dir, "controller"), serviceSeedFile(dir, "admin")].find((f) => existsSync(f)) : undefined;
}

type NatsValues = Partial<Record<keyof typeof NATS_OPTIONS, string>>;

/** Connects; a failure (unreachable server, bad seed file, TLS) is a UsageError: one clean line, exit 2. */
export async function connectCli(values: NatsValues, name = "cpuidctl"): Promise<NatsConnection> {
  const env = process.env;
  try {
    return await connectNats({
      servers: values["nats-url"] ?? env.NATS_URL ?? "nats://127.0.0.1:4222",
      name,
      seedFile: values["nats-seed-file"] ?? defaultSeedFile(env),
      tls: {
        caFile: values["nats-ca-file"] ?? env.CPUID_FLEET_NATS_CA_FILE,
        certFile: values["nats-cert-file"] ?? env.CPUID_FLEET_NATS_CERT_FILE,
        keyFile: values["nats-key-file"] ?? env.CPUID_FLEET_NATS_KEY_FILE,
      },
      options: { timeout: 5_000 },
    });
  } catch (e) {
    throw new UsageError(`cannot connect to NATS: ${(e as Error).message}`);
  }
}
