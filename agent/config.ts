// The agent's configuration: command-line flags override environment
// variables, and the merged result is validated with zod so that a bad value
// is reported with the flag and variable it came from.

import { hostname } from "node:os";
import { z } from "zod";
import { DEFAULT_HEARTBEAT_INTERVAL_SECONDS } from "../shared/nats/host-liveness.ts";
import { ProbeKind } from "../shared/schemas/host-policies.ts";
import { listenAddress, readSettings, seconds, settingsUsage, validateSettings, type Setting } from "../runtime/settings.ts";

export { ConfigError } from "../runtime/settings.ts";

export const BackendKind = z.enum(["sim", "xen"]);
export type BackendKind = z.infer<typeof BackendKind>;

const natsServer = z
  .string()
  .regex(/^(nats|tls):\/\/[^\s,/]+(:\d+)?$|^[^\s,/:]+:\d+$/, "expected nats://host:port (comma-separated for several)");

export const AgentConfig = z
  .object({
    hostId: z.string().min(1).max(253).regex(/^[^\s]+$/, "host ids must not contain whitespace"),
    natsServers: z
      .string()
      .transform((s) => s.split(",").map((x) => x.trim()).filter(Boolean))
      .pipe(z.array(natsServer).min(1)),
    /** nkey seed file of this host's identity; unset = connect without authentication */
    nkeySeedFile: z.string().min(1).optional(),
    probe: ProbeKind,
    /** for probe=file: a CPUID dump or `xen-cpuid -p` output */
    probeFile: z.string().min(1).optional(),
    /** for probe=linux: the logical CPU whose /dev/cpu/<n>/cpuid is read */
    cpu: z.coerce.number().int().nonnegative().max(65_535),
    backend: BackendKind,
    stateDir: z.string().min(1),
    metricsListen: listenAddress,
    reprobeIntervalSeconds: seconds,
    heartbeatIntervalSeconds: seconds,
    /** xen backend: how often `xl list` is polled to notice domain starts */
    xenPollIntervalSeconds: seconds,
    xenCpuidPath: z.string().min(1),
    xlPath: z.string().min(1),
    /** /proc/cpuinfo, read for the microcode revision of the fingerprint */
    cpuinfoPath: z.string().min(1),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]),
  });
export type AgentConfig = z.output<typeof AgentConfig>;

/** Each setting: its flag, environment variable and default. */
const SETTINGS = {
  hostId: { flag: "host-id", env: "CPUID_AGENT_HOST_ID", default: () => hostname() },
  natsServers: { flag: "nats-url", env: "CPUID_AGENT_NATS_URL", default: () => "nats://127.0.0.1:4222" },
  nkeySeedFile: { flag: "nkey-seed-file", env: "CPUID_AGENT_NKEY_SEED_FILE", default: () => undefined },
  probe: { flag: "probe", env: "CPUID_AGENT_PROBE", default: () => "linux" },
  probeFile: { flag: "probe-file", env: "CPUID_AGENT_PROBE_FILE", default: () => undefined },
  cpu: { flag: "cpu", env: "CPUID_AGENT_CPU", default: () => "0" },
  backend: { flag: "backend", env: "CPUID_AGENT_BACKEND", default: () => "sim" },
  stateDir: { flag: "state-dir", env: "CPUID_AGENT_STATE_DIR", default: () => "/var/lib/cpuid-fleet-agent" },
  metricsListen: { flag: "metrics-listen", env: "CPUID_AGENT_METRICS_LISTEN", default: () => "0.0.0.0:9464" },
  reprobeIntervalSeconds: { flag: "reprobe-interval", env: "CPUID_AGENT_REPROBE_INTERVAL", default: () => "300" },
  heartbeatIntervalSeconds: { flag: "heartbeat-interval", env: "CPUID_AGENT_HEARTBEAT_INTERVAL", default: () => String(DEFAULT_HEARTBEAT_INTERVAL_SECONDS) },
  xenPollIntervalSeconds: { flag: "xen-poll-interval", env: "CPUID_AGENT_XEN_POLL_INTERVAL", default: () => "5" },
  xenCpuidPath: { flag: "xen-cpuid", env: "CPUID_AGENT_XEN_CPUID", default: () => "xen-cpuid" },
  xlPath: { flag: "xl", env: "CPUID_AGENT_XL", default: () => "xl" },
  cpuinfoPath: { flag: "cpuinfo", env: "CPUID_AGENT_CPUINFO", default: () => "/proc/cpuinfo" },
  logLevel: { flag: "log-level", env: "CPUID_AGENT_LOG_LEVEL", default: () => "info" },
} as const satisfies Record<keyof AgentConfig, Setting>;

export const USAGE = settingsUsage(["usage: cpuid-fleet-agent [options]", ""], SETTINGS);

/** Merge flags over environment over defaults, then validate. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): AgentConfig {
  const raw = readSettings(SETTINGS, argv, env, USAGE);
  const extra = raw.probe === "file" && !raw.probeFile ? ["  --probe file needs --probe-file <path> (CPUID_AGENT_PROBE_FILE)"] : [];
  return validateSettings(AgentConfig, raw, SETTINGS, extra);
}
