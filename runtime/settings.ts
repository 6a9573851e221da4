// Daemon settings: command-line flags over environment variables over
// defaults, validated with zod, with errors that name the flag and variable a
// bad value came from.
//
// One naming scheme for every daemon: a concept has the same flag in each
// (--nats-url, --nats-seed-file, --nats-ca-file, --nats-cert-file,
// --nats-key-file, --metrics-listen, --log-level), and a
// setting's environment variable is the daemon's prefix plus its flag in
// upper case: --nats-seed-file of cpuid-fleet-agent is
// CPUID_FLEET_AGENT_NATS_SEED_FILE, of cpuid-fleet-controller
// CPUID_FLEET_CONTROLLER_NATS_SEED_FILE (defineSettings).

import { parseArgs } from "node:util";
import { z } from "zod";

export interface Setting {
  flag: string;
  env: string;
  default: (env: NodeJS.ProcessEnv) => string | undefined;
  /** how --help shows a computed default */
  shown?: string;
}

/** A setting as a daemon declares it; defineSettings derives its variable. */
export type SettingSpec = Omit<Setting, "env">;

/** Each setting with its environment variable `<prefix>_<FLAG>` (dashes as underscores). */
export function defineSettings<K extends string>(prefix: string, specs: Record<K, SettingSpec>): Record<K, Setting> {
  const entries = Object.entries<SettingSpec>(specs).map(([name, s]) => [name, { ...s, env: `${prefix}_${s.flag.toUpperCase().replaceAll("-", "_")}` }]);
  return Object.fromEntries(entries) as Record<K, Setting>;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

export function settingsUsage(header: readonly string[], settings: Record<string, Setting>): string {
  return [
    ...header,
    "Every option can also be set through the environment variable shown.",
    "",
    ...Object.values(settings).map((s) => {
      const d = s.shown ?? s.default({});
      return `  --${s.flag.padEnd(20)} ${s.env}${d === undefined ? "" : ` (default ${d})`}`;
    }),
    "  --help",
  ].join("\n");
}

/** The raw string value of every setting: flag, else non-empty env variable, else default. */
export function readSettings(
  settings: Record<string, Setting>,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  usage: string,
): Record<string, string | undefined> {
  let flags: Record<string, string | boolean | undefined>;
  try {
    flags = parseArgs({
      args: [...argv],
      options: Object.fromEntries(Object.values(settings).map((s) => [s.flag, { type: "string" as const }])),
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    throw new ConfigError(`${(e as Error).message}\n\n${usage}`);
  }
  const raw: Record<string, string | undefined> = {};
  for (const [name, s] of Object.entries(settings)) {
    const flag = flags[s.flag];
    raw[name] = typeof flag === "string" ? flag : env[s.env] ? env[s.env] : s.default(env);
  }
  return raw;
}

/** Validate raw values; every problem is listed with its flag, variable and given value. */
export function validateSettings<T extends z.ZodType>(
  schema: T,
  raw: Record<string, unknown>,
  settings: Record<string, Setting>,
  extraProblems: string[] = [],
): z.output<T> {
  const parsed = schema.safeParse(raw);
  const lines = (parsed.error?.issues ?? []).map((issue) => {
    const name = String(issue.path[0]);
    const s = settings[name];
    if (!s) return `  ${name}: ${issue.message}`;
    const given = raw[name] === undefined ? "unset" : JSON.stringify(raw[name]);
    return `  --${s.flag} / ${s.env} = ${given}: ${issue.message}`;
  });
  lines.push(...extraProblems);
  if (!parsed.success || lines.length > 0) throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  return parsed.data;
}

/** `host:port` (IPv6 in brackets) to listen on; port 0 picks a free one. */
export const listenAddress = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[^\s:]+):\d{1,5}$/, "expected host:port, e.g. 127.0.0.1:8080 (port 0 picks a free one)")
  .transform((s) => {
    const i = s.lastIndexOf(":");
    return { host: s.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(s.slice(i + 1)) };
  })
  .refine((a) => a.port <= 65535, "port must be at most 65535");

/** A duration in seconds: positive, at most a day. */
export const seconds = z.coerce.number().positive().max(86_400);

/** The NATS client certificate and key (settings natsCertFile, natsKeyFile) come together; the problem line when only one is set. */
export function tlsPairProblem(raw: Record<string, unknown>, settings: Record<"natsCertFile" | "natsKeyFile", Setting>): string[] {
  if (Boolean(raw.natsCertFile) === Boolean(raw.natsKeyFile)) return [];
  const [given, missing] = raw.natsCertFile ? [settings.natsCertFile, settings.natsKeyFile] : [settings.natsKeyFile, settings.natsCertFile];
  return [`  --${given.flag} needs --${missing.flag} (${missing.env}): mutual TLS needs the client certificate and its key`];
}
