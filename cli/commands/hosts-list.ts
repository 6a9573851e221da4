// cpuidctl hosts list [-o json|text]

import { EXIT_OK, UsageError, printJson, type Command } from "../command.ts";
import { openHostsBucket } from "../../runtime/nats/hosts-bucket.ts";
import { HeartbeatListener } from "../heartbeat-listener.ts";
import { readHostEntry, type HostEntry } from "../hosts-bucket.ts";
import { connectCli, NATS_OPTIONS, NATS_USAGE } from "../nats-connection.ts";
import { parseCommandArgs } from "../policy-args.ts";
import { DEFAULT_HEARTBEAT_INTERVAL_SECONDS, MISSED_HEARTBEATS, hostLiveness } from "../../shared/nats/host-liveness.ts";
import { PolicyNames } from "../../shared/schemas/policy.ts";

/** a heartbeat may arrive a little after its interval (the agent counts its domains first) */
const HEARTBEAT_SLACK_MS = 1_000;

const usage = `usage: cpuidctl hosts list [-o json|text]

Every host in the cpuid-hosts bucket: vendor, model, feature count of each
policy, fingerprint, age of its entry and when it was last heard from (its
entry or a heartbeat). A host silent for ${MISSED_HEARTBEATS} of its heartbeat intervals (the
interval its agent announces, else ${DEFAULT_HEARTBEAT_INTERVAL_SECONDS} s) is STALE, the rule the controller uses
for HostCpuidPolicy; entries that fail validation are INVALID. Hosts whose
entry alone would make them stale are given one heartbeat interval to be
heard from, so the command can take that long.

${NATS_USAGE}`;

interface Row {
  host: string;
  vendor?: string;
  model?: string;
  features?: Record<string, number>;
  fingerprint?: string;
  ageSeconds: number;
  /** seconds since the host was last heard from: a heartbeat during the command, else its entry */
  heardSecondsAgo: number;
  stale: boolean;
  invalid?: string;
}

const command: Command = {
  summary: "list the hosts in the cpuid-hosts bucket (stale ones marked)",
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, { ...NATS_OPTIONS, output: { type: "string", short: "o" } }, usage);
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"\n\n${usage}`);
    const format = values.output ?? "text";
    if (format !== "json" && format !== "text") throw new UsageError(`-o must be json or text`);
    const nc = await connectCli(values);
    const heartbeats = new HeartbeatListener(nc);
    const entries: { key: string; entry: HostEntry }[] = [];
    try {
      const kv = await openHostsBucket(nc);
      const keys: string[] = [];
      for await (const k of await kv.keys()) keys.push(k);
      for (const key of keys.sort()) {
        const entry = await readHostEntry(kv, key);
        if (entry) entries.push({ key, entry });
      }
      // only hosts whose entry is too old to vouch for them need a heartbeat
      const listed = Date.now();
      const waiting = entries.flatMap(({ entry }) => (entry.ok && hostLiveness(entry.created.getTime(), listed, interval(entry)) === "stale" ? [entry] : []));
      const longest = Math.max(0, ...waiting.map((entry) => interval(entry) * 1000 + HEARTBEAT_SLACK_MS));
      await heartbeats.waitFor(waiting.map((entry) => entry.policies.hostId), longest);
    } finally {
      heartbeats.stop();
      await nc.close();
    }
    const now = Date.now();
    const rows = entries.map(({ key, entry }) => row(key, entry, now, heartbeats));
    if (format === "json") printJson(rows);
    else process.stdout.write(table(rows));
    return EXIT_OK;
  },
};

function interval(entry: HostEntry): number {
  return (entry.ok ? entry.policies.heartbeatIntervalSeconds : undefined) ?? DEFAULT_HEARTBEAT_INTERVAL_SECONDS;
}

function row(key: string, entry: HostEntry, now: number, heartbeats: HeartbeatListener): Row {
  const created = entry.created.getTime();
  const ageSeconds = Math.max(0, Math.round((now - created) / 1000));
  const lastHeard = Math.max(created, (entry.ok && heartbeats.lastHeard(entry.policies.hostId)) || 0);
  const heard = { heardSecondsAgo: Math.max(0, Math.round((now - lastHeard) / 1000)), stale: hostLiveness(lastHeard, now, interval(entry)) === "stale" };
  if (!entry.ok) return { host: key, ageSeconds, ...heard, invalid: entry.error };
  const hp = entry.policies;
  return {
    host: hp.hostId,
    vendor: hp.cpu.vendor,
    model: `${hp.cpu.family}/${hp.cpu.model}/${hp.cpu.stepping} ${hp.cpu.brand}`,
    features: Object.fromEntries(PolicyNames.map((n) => [n, hp.policies[n].features.length])),
    fingerprint: hp.fingerprint.digest,
    ageSeconds,
    ...heard,
  };
}

function table(rows: Row[]): string {
  const header = ["HOST", "VENDOR", "MODEL", ...PolicyNames.map((n) => n.toUpperCase()), "FINGERPRINT", "AGE", "HEARD", "STATUS"];
  const lines = rows.map((r) => [
    r.host,
    r.vendor ?? "-",
    r.model ?? "-",
    ...PolicyNames.map((n) => String(r.features?.[n] ?? "-")),
    r.fingerprint ? r.fingerprint.replace(/^sha256:/, "").slice(0, 12) : "-",
    age(r.ageSeconds),
    `${age(r.heardSecondsAgo)} ago`,
    r.invalid ? `INVALID: ${r.invalid}` : r.stale ? "STALE" : "ok",
  ]);
  const all = [header, ...lines];
  const widths = header.map((_, i) => Math.max(...all.map((l) => l[i].length)));
  return all.map((l) => l.map((c, i) => (i === l.length - 1 ? c : c.padEnd(widths[i]))).join("  ")).join("\n") + "\n";
}

function age(s: number): string {
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

export default command;
