// The controller's options: command-line flags over environment variables
// over defaults, validated with zod. startController() takes the parsed
// ControllerOptions directly, so tests, the demo and the benchmark can run it
// in-process without flags.

import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { z } from "zod";
import { ConfigError, listenAddress, readSettings, seconds, settingsUsage, validateSettings, type Setting } from "../runtime/settings.ts";

export { ConfigError } from "../runtime/settings.ts";

export const ControllerOptions = z.object({
  /** kubeconfig file; unset = $KUBECONFIG, in-cluster, or ~/.kube/config */
  kubeconfig: z.string().min(1).optional(),
  natsUrl: z.string().min(1),
  /** nkey seed file of the controller's NATS identity; unset = no authentication */
  natsSeedFile: z.string().min(1).optional(),
  /** only this namespace's DomainCpuidPolicies; unset = all namespaces */
  watchNamespace: z.string().min(1).optional(),
  leaseNamespace: z.string().min(1),
  leaseName: z.string().min(1),
  identity: z.string().min(1),
  leaseDurationSeconds: seconds,
  renewDeadlineSeconds: seconds,
  retryPeriodSeconds: seconds,
  metricsListen: listenAddress,
  workers: z.coerce.number().int().positive().max(256),
  /** every object is reconciled, and every host swept for orphaned domains, again this often */
  resyncSeconds: seconds,
  /** timeout of one request to an agent */
  requestTimeoutSeconds: seconds,
  /** how often a staged policy is checked for having become active */
  stagedRefreshSeconds: seconds,
  /** longest backoff between retries of one object */
  maxBackoffSeconds: seconds,
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
});
export type ControllerOptions = z.output<typeof ControllerOptions>;
export type ControllerOptionsInput = z.input<typeof ControllerOptions>;

const defaultIdentity = () => `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
const credsSeed = (env: NodeJS.ProcessEnv) => (env.CPUID_FLEET_CREDS_DIR ? `${env.CPUID_FLEET_CREDS_DIR}/controller.nk` : undefined);

/** Each option: its flag, environment variable and default. */
const SETTINGS = {
  kubeconfig: { flag: "kubeconfig", env: "KUBECONFIG", default: () => undefined },
  natsUrl: { flag: "nats-url", env: "NATS_URL", default: () => "nats://127.0.0.1:4222" },
  natsSeedFile: { flag: "nats-seed-file", env: "CPUID_FLEET_NATS_SEED_FILE", default: credsSeed, shown: "$CPUID_FLEET_CREDS_DIR/controller.nk" },
  watchNamespace: { flag: "namespace", env: "WATCH_NAMESPACE", default: () => undefined },
  leaseNamespace: { flag: "lease-namespace", env: "POD_NAMESPACE", default: () => "cpuid-fleet-system" },
  leaseName: { flag: "lease-name", env: "CPUID_FLEET_LEASE_NAME", default: () => "cpuid-fleet-controller" },
  identity: { flag: "identity", env: "POD_NAME", default: defaultIdentity, shown: "<hostname>-<pid>-<random>" },
  leaseDurationSeconds: { flag: "lease-duration", env: "CPUID_FLEET_LEASE_DURATION", default: () => "15" },
  renewDeadlineSeconds: { flag: "renew-deadline", env: "CPUID_FLEET_RENEW_DEADLINE", default: () => "10" },
  retryPeriodSeconds: { flag: "retry-period", env: "CPUID_FLEET_RETRY_PERIOD", default: () => "2" },
  metricsListen: { flag: "metrics-addr", env: "CPUID_FLEET_METRICS_ADDR", default: () => "0.0.0.0:8080" },
  // reconciles wait on two round trips (agent, status write): 8 → 16 → 32
  // workers took 45 → 48 → 54 % of the apiserver's ceiling (BENCHMARKS.md)
  workers: { flag: "workers", env: "CPUID_FLEET_WORKERS", default: () => "32" },
  resyncSeconds: { flag: "resync", env: "CPUID_FLEET_RESYNC", default: () => "300" },
  requestTimeoutSeconds: { flag: "request-timeout", env: "CPUID_FLEET_REQUEST_TIMEOUT", default: () => "5" },
  stagedRefreshSeconds: { flag: "staged-refresh", env: "CPUID_FLEET_STAGED_REFRESH", default: () => "60" },
  maxBackoffSeconds: { flag: "max-backoff", env: "CPUID_FLEET_MAX_BACKOFF", default: () => "30" },
  logLevel: { flag: "log-level", env: "CPUID_FLEET_LOG_LEVEL", default: () => "info" },
} as const satisfies Record<keyof ControllerOptions, Setting>;

export const USAGE = settingsUsage(
  ["usage: cpuid-fleet-controller [options]", "", "Reconciles DomainCpuidPolicy objects against the hosts in the cpuid-hosts bucket."],
  SETTINGS,
);

/** Defaults for everything not given, for in-process use (tests, demo, benchmark). */
export function controllerOptions(input: Partial<ControllerOptionsInput>, env: NodeJS.ProcessEnv = {}): ControllerOptions {
  const raw: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(SETTINGS)) raw[name] = s.default(env);
  return parse({ ...raw, ...input });
}

export function loadOptions(argv: readonly string[], env: NodeJS.ProcessEnv): ControllerOptions {
  return parse(readSettings(SETTINGS, argv, env, USAGE));
}

function parse(raw: Record<string, unknown>): ControllerOptions {
  const options = validateSettings(ControllerOptions, raw, SETTINGS);
  if (options.renewDeadlineSeconds >= options.leaseDurationSeconds) {
    throw new ConfigError("invalid configuration:\n  --renew-deadline must be shorter than --lease-duration");
  }
  return options;
}
