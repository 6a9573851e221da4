// The controller's options: command-line flags over environment variables
// over defaults, validated with zod. startController() takes the parsed
// ControllerOptions directly, so tests, the demo and the benchmark can run it
// in-process without flags.

import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { z } from "zod";
import { seedFileProblem } from "../runtime/nkey-seed.ts";
import { unsafeStateProblem } from "../runtime/state-permissions.ts";
import { ConfigError, defineSettings, listenAddress, readSettings, seconds, settingsUsage, tlsPairProblem, validateSettings } from "../runtime/settings.ts";

export { ConfigError } from "../runtime/settings.ts";

export const ControllerOptions = z.object({
  /** kubeconfig file; unset = $KUBECONFIG, in-cluster, or ~/.kube/config */
  kubeconfig: z.string().min(1).optional(),
  natsUrl: z.string().min(1),
  /** nkey seed file of the controller's NATS identity; unset = no authentication */
  natsSeedFile: z.string().min(1).optional(),
  /** CA bundle the NATS servers' certificates must chain to; setting any TLS file makes TLS mandatory */
  natsCaFile: z.string().min(1).optional(),
  /** the controller's client certificate and key for mutual TLS */
  natsCertFile: z.string().min(1).optional(),
  natsKeyFile: z.string().min(1).optional(),
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
  /** replicas of the cpuid-hosts bucket when this controller creates it: 1 for one nats-server, 3 for a 3-node JetStream cluster */
  hostsBucketReplicas: z.coerce.number().int().min(1).max(5),
});
export type ControllerOptions = z.output<typeof ControllerOptions>;
export type ControllerOptionsInput = z.input<typeof ControllerOptions>;

export const DEFAULT_LEASE_NAMESPACE = "cpuid-fleet-system";
/**
 * Reconciles in flight. Each mostly waits (on its agent, up to
 * --request-timeout for a silent one, and on its status write), so the bound
 * is set by the apiserver, not by the controller's CPU: with 32, policies
 * created as fast as the apiserver takes them queued in the controller; at
 * 10,000 policies 128 took create → Applied p50 from 2.9 to 0.7 s at the
 * same CPU per policy (BENCHMARKS.md, "How many reconciles in flight").
 */
export const DEFAULT_WORKERS = 128;

const defaultIdentity = () => `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
const credsSeed = (env: NodeJS.ProcessEnv) => (env.CPUID_FLEET_CREDS_DIR ? `${env.CPUID_FLEET_CREDS_DIR}/controller.nk` : undefined);

/** Each option: its flag and default; its variable is CPUID_FLEET_CONTROLLER_<FLAG> (runtime/settings.ts). */
const SETTINGS = defineSettings<keyof ControllerOptions>("CPUID_FLEET_CONTROLLER", {
  kubeconfig: { flag: "kubeconfig", default: () => undefined, shown: "$KUBECONFIG, in-cluster, or ~/.kube/config" },
  natsUrl: { flag: "nats-url", default: () => "nats://127.0.0.1:4222" },
  natsSeedFile: { flag: "nats-seed-file", default: credsSeed, shown: "$CPUID_FLEET_CREDS_DIR/controller.nk" },
  natsCaFile: { flag: "nats-ca-file", default: () => undefined },
  natsCertFile: { flag: "nats-cert-file", default: () => undefined },
  natsKeyFile: { flag: "nats-key-file", default: () => undefined },
  watchNamespace: { flag: "watch-namespace", default: () => undefined, shown: "all namespaces" },
  leaseNamespace: { flag: "lease-namespace", default: () => DEFAULT_LEASE_NAMESPACE },
  leaseName: { flag: "lease-name", default: () => "cpuid-fleet-controller" },
  identity: { flag: "identity", default: defaultIdentity, shown: "<hostname>-<pid>-<random>" },
  leaseDurationSeconds: { flag: "lease-duration", default: () => "15" },
  renewDeadlineSeconds: { flag: "renew-deadline", default: () => "10" },
  retryPeriodSeconds: { flag: "retry-period", default: () => "2" },
  metricsListen: { flag: "metrics-listen", default: () => "0.0.0.0:8080" },
  workers: { flag: "workers", default: () => String(DEFAULT_WORKERS) },
  resyncSeconds: { flag: "resync", default: () => "300" },
  requestTimeoutSeconds: { flag: "request-timeout", default: () => "5" },
  stagedRefreshSeconds: { flag: "staged-refresh", default: () => "60" },
  maxBackoffSeconds: { flag: "max-backoff", default: () => "30" },
  logLevel: { flag: "log-level", default: () => "info" },
  hostsBucketReplicas: { flag: "hosts-bucket-replicas", default: () => "1" },
});

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
  const options = validateSettings(ControllerOptions, raw, SETTINGS, tlsPairProblem(raw, SETTINGS));
  if (options.renewDeadlineSeconds >= options.leaseDurationSeconds) {
    throw new ConfigError("invalid configuration:\n  --renew-deadline must be shorter than --lease-duration");
  }
  return options;
}

/**
 * The seed must be there before anything starts: in the cluster it comes from
 * the Secret the Deployment mounts. A kubeconfig named by --kubeconfig holds
 * credentials and says which apiserver to trust, so only its owner may write it.
 */
export function controllerPreflight(options: Pick<ControllerOptions, "natsSeedFile" | "kubeconfig">): void {
  const problems: string[] = [];
  if (options.natsSeedFile !== undefined) {
    const problem = seedFileProblem(options.natsSeedFile, { ownerOnly: false });
    if (problem) {
      problems.push(
        `${problem} (--nats-seed-file, CPUID_FLEET_CONTROLLER_NATS_SEED_FILE, default $CPUID_FLEET_CREDS_DIR/controller.nk; in the cluster: key controller.nk of the Secret cpuid-fleet-controller-nats)`,
      );
    }
  }
  if (options.kubeconfig !== undefined) {
    const problem = unsafeStateProblem({
      path: options.kubeconfig,
      what: "kubeconfig",
      risk: "can point this controller at another apiserver or other credentials",
    });
    if (problem) problems.push(`${problem} (--kubeconfig, CPUID_FLEET_CONTROLLER_KUBECONFIG)`);
  }
  if (problems.length > 0) throw new ConfigError(`cannot start:\n  ${problems.join("\n  ")}`);
}
