// cpuidctl hosts list [--stale-after <seconds>] [-o json|text]

import { EXIT_OK, UsageError, printJson, type Command } from "../command.ts";
import { openHostsBucket } from "../../runtime/nats/hosts-bucket.ts";
import { readHostEntry } from "../hosts-bucket.ts";
import { connectCli, NATS_OPTIONS, NATS_USAGE } from "../nats-connection.ts";
import { parseCommandArgs } from "../policy-args.ts";
import { PolicyNames } from "../../shared/schemas/policy.ts";

/** Agents refresh their entry at every re-probe (default 300 s); three missed refreshes mark a host stale. */
const DEFAULT_STALE_AFTER_SECONDS = 900;

const usage = `usage: cpuidctl hosts list [--stale-after <seconds>] [-o json|text]

Every host in the cpuid-hosts bucket: vendor, model, feature count of each
policy, fingerprint and age of its entry. Hosts whose entry is older than
--stale-after (default ${DEFAULT_STALE_AFTER_SECONDS} s) are marked STALE; entries that fail validation, INVALID.

${NATS_USAGE}`;

interface Row {
  host: string;
  vendor?: string;
  model?: string;
  features?: Record<string, number>;
  fingerprint?: string;
  ageSeconds: number;
  stale: boolean;
  invalid?: string;
}

const command: Command = {
  summary: "list the hosts in the cpuid-hosts bucket (stale ones marked)",
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, { ...NATS_OPTIONS, "stale-after": { type: "string" }, output: { type: "string", short: "o" } }, usage);
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"\n\n${usage}`);
    const staleAfter = Number(values["stale-after"] ?? DEFAULT_STALE_AFTER_SECONDS);
    if (!Number.isFinite(staleAfter) || staleAfter <= 0) throw new UsageError(`--stale-after must be a positive number of seconds`);
    const format = values.output ?? "text";
    if (format !== "json" && format !== "text") throw new UsageError(`-o must be json or text`);
    const nc = await connectCli(values);
    const rows: Row[] = [];
    try {
      const kv = await openHostsBucket(nc);
      const keys: string[] = [];
      for await (const k of await kv.keys()) keys.push(k);
      for (const key of keys.sort()) {
        const e = await readHostEntry(kv, key);
        if (!e) continue;
        const ageSeconds = Math.max(0, Math.round((Date.now() - e.created.getTime()) / 1000));
        if (!e.ok) {
          rows.push({ host: key, ageSeconds, stale: ageSeconds > staleAfter, invalid: e.error });
          continue;
        }
        const hp = e.policies;
        rows.push({
          host: hp.hostId,
          vendor: hp.cpu.vendor,
          model: `${hp.cpu.family}/${hp.cpu.model}/${hp.cpu.stepping} ${hp.cpu.brand}`,
          features: Object.fromEntries(PolicyNames.map((n) => [n, hp.policies[n].features.length])),
          fingerprint: hp.fingerprint.digest,
          ageSeconds,
          stale: ageSeconds > staleAfter,
        });
      }
    } finally {
      await nc.close();
    }
    if (format === "json") printJson(rows);
    else process.stdout.write(table(rows));
    return EXIT_OK;
  },
};

function table(rows: Row[]): string {
  const header = ["HOST", "VENDOR", "MODEL", ...PolicyNames.map((n) => n.toUpperCase()), "FINGERPRINT", "AGE", "STATUS"];
  const lines = rows.map((r) => [
    r.host,
    r.vendor ?? "-",
    r.model ?? "-",
    ...PolicyNames.map((n) => String(r.features?.[n] ?? "-")),
    r.fingerprint ? r.fingerprint.replace(/^sha256:/, "").slice(0, 12) : "-",
    age(r.ageSeconds),
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
