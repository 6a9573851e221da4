// The agent's configuration: command-line flags override environment
// variables, and the merged result is validated with zod so that a bad value
// is reported with the flag and variable it came from.

import { hostname } from "node:os";
import { z } from "zod";
import { DEFAULT_HEARTBEAT_INTERVAL_SECONDS } from "../shared/nats/host-liveness.ts";
import { DEFAULT_RELEASE, RELEASE_NAMES } from "../shared/derive/release.ts";
import { AgentLabels, ProbeKind } from "../shared/schemas/host-policies.ts";
import { defineSettings, listenAddress, readSettings, seconds, settingsUsage, tlsPairProblem, validateSettings } from "../runtime/settings.ts";

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
    natsSeedFile: z.string().min(1).optional(),
    /** CA bundle the NATS servers' certificates must chain to; setting any TLS file makes TLS mandatory */
    natsCaFile: z.string().min(1).optional(),
    /** this host's client certificate and key for mutual TLS */
    natsCertFile: z.string().min(1).optional(),
    natsKeyFile: z.string().min(1).optional(),
    probe: ProbeKind,
    /** for probe=file: a CPUID dump or `xen-cpuid -p` output */
    probeFile: z.string().min(1).optional(),
    /** for probe=linux|file: the Xen release whose derivation rules apply (the xen probe reads Xen's own policies) */
    xenRelease: z.enum(RELEASE_NAMES),
    /** for probe=linux: the logical CPU whose /dev/cpu/<n>/cpuid is read */
    cpu: z.coerce.number().int().nonnegative().max(65_535),
    backend: BackendKind,
    stateDir: z.string().min(1),
    metricsListen: listenAddress,
    reprobeIntervalSeconds: seconds,
    heartbeatIntervalSeconds: seconds,
    /** xen backend: how often `xl list` is polled, besides each xenstore domain watch firing */
    xenPollIntervalSeconds: seconds,
    /** xen backend: xenstore-watch, run on @introduceDomain and @releaseDomain to notice domain starts at once */
    xenstoreWatchPath: z.string().min(1),
    xenCpuidPath: z.string().min(1),
    xlPath: z.string().min(1),
    /** /proc/cpuinfo, read for the microcode revision of the fingerprint */
    cpuinfoPath: z.string().min(1),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]),
    /** labels for this host's HostCpuidPolicy, k=v,k=v */
    labels: z.string().transform(parseLabelList).pipe(AgentLabels),
  });
export type AgentConfig = z.output<typeof AgentConfig>;

/** "k=v,k2=v2" → { k: "v", k2: "v2" }; "k=" gives an empty value. */
function parseLabelList(text: string, ctx: z.RefinementCtx): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const eq = pair.indexOf("=");
    if (eq < 0) ctx.addIssue({ code: "custom", message: `label ${JSON.stringify(pair)} has no '=': write key=value` });
    else labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return labels;
}

/** Each setting: its flag and default; its variable is CPUID_FLEET_AGENT_<FLAG> (runtime/settings.ts). */
const SETTINGS = defineSettings<keyof AgentConfig>("CPUID_FLEET_AGENT", {
  hostId: { flag: "host-id", default: () => hostname() },
  natsServers: { flag: "nats-url", default: () => "nats://127.0.0.1:4222" },
  natsSeedFile: { flag: "nats-seed-file", default: () => undefined },
  natsCaFile: { flag: "nats-ca-file", default: () => undefined },
  natsCertFile: { flag: "nats-cert-file", default: () => undefined },
  natsKeyFile: { flag: "nats-key-file", default: () => undefined },
  probe: { flag: "probe", default: () => "linux" },
  probeFile: { flag: "probe-file", default: () => undefined },
  xenRelease: { flag: "xen-version", default: () => DEFAULT_RELEASE },
  cpu: { flag: "cpu", default: () => "0" },
  backend: { flag: "backend", default: () => "sim" },
  stateDir: { flag: "state-dir", default: () => "/var/lib/cpuid-fleet-agent" },
  metricsListen: { flag: "metrics-listen", default: () => "0.0.0.0:9464" },
  reprobeIntervalSeconds: { flag: "reprobe-interval", default: () => "300" },
  heartbeatIntervalSeconds: { flag: "heartbeat-interval", default: () => String(DEFAULT_HEARTBEAT_INTERVAL_SECONDS) },
  xenPollIntervalSeconds: { flag: "xen-poll-interval", default: () => "5" },
  xenstoreWatchPath: { flag: "xenstore-watch", default: () => "xenstore-watch" },
  xenCpuidPath: { flag: "xen-cpuid", default: () => "xen-cpuid" },
  xlPath: { flag: "xl", default: () => "xl" },
  cpuinfoPath: { flag: "cpuinfo", default: () => "/proc/cpuinfo" },
  logLevel: { flag: "log-level", default: () => "info" },
  labels: { flag: "labels", default: () => "" },
});

export const USAGE = settingsUsage(["usage: cpuid-fleet-agent [options]", ""], SETTINGS);

/** Merge flags over environment over defaults, then validate. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): AgentConfig {
  const raw = readSettings(SETTINGS, argv, env, USAGE);
  const extra = [
    ...(raw.probe === "file" && !raw.probeFile ? [`  --probe file needs --probe-file <path> (${SETTINGS.probeFile.env})`] : []),
    ...tlsPairProblem(raw, SETTINGS),
  ];
  return validateSettings(AgentConfig, raw, SETTINGS, extra);
}
