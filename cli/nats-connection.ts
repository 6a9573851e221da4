// How cpuidctl reaches NATS (fleet inspection, the audit dry run): --nats-url,
// else $NATS_URL (what `npm run cluster:up` exports); an nkey seed from
// --nats-seed-file, else $CPUID_FLEET_NATS_SEED_FILE, else the controller's
// (or admin's) seed in $CPUID_FLEET_CREDS_DIR.

import { existsSync } from "node:fs";
import type { NatsConnection } from "@nats-io/transport-node";
import { UsageError } from "./command.ts";
import { connectNats } from "../runtime/nats/connect.ts";
import { serviceSeedFile } from "../shared/nats/credentials-layout.ts";

export const NATS_OPTIONS = {
  "nats-url": { type: "string" },
  "nats-seed-file": { type: "string" },
} as const;

export const NATS_USAGE = `  --nats-url <url>        default $NATS_URL, else nats://127.0.0.1:4222
  --nats-seed-file <f>    default $CPUID_FLEET_NATS_SEED_FILE, else controller.nk
                          (or admin.nk) in $CPUID_FLEET_CREDS_DIR`;

function defaultSeedFile(env: NodeJS.ProcessEnv): string | undefined {
  if (env.CPUID_FLEET_NATS_SEED_FILE) return env.CPUID_FLEET_NATS_SEED_FILE;
  const dir = env.CPUID_FLEET_CREDS_DIR;
  return dir ? [serviceSeedFile(dir, "controller"), serviceSeedFile(dir, "admin")].find((f) => existsSync(f)) : undefined;
}

/** Connects; a failure (unreachable server, bad seed file) is a UsageError: one clean line, exit 2. */
export async function connectCli(values: { "nats-url"?: string; "nats-seed-file"?: string }, name = "cpuidctl"): Promise<NatsConnection> {
  try {
    return await connectNats({
      servers: values["nats-url"] ?? process.env.NATS_URL ?? "nats://127.0.0.1:4222",
      name,
      seedFile: values["nats-seed-file"] ?? defaultSeedFile(process.env),
      options: { timeout: 5_000 },
    });
  } catch (e) {
    throw new UsageError(`cannot connect to NATS: ${(e as Error).message}`);
  }
}
