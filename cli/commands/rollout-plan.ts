// cpuidctl rollout plan -f <rollout.yaml>: what a CpuidRollout would do if
// applied now, against the live cluster and the hosts' published policies,
// with the controller's own planning and audit code.

import type { KV } from "@nats-io/kv";
import { DomainCpuidPolicySpec } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { poolBaseline, type PoolBaseline } from "../../shared/domain-policy/pool-baseline.ts";
import { decodeHostPolicies, type HostRecord } from "../../shared/hosts/host-record.ts";
import { HOSTS_BUCKET, hostKey } from "../../shared/nats/subjects.ts";
import { openHostsBucket } from "../../runtime/nats/hosts-bucket.ts";
import { findPool } from "../cluster-pools.ts";
import { listDomainPolicies, listRollouts, namespaceLabels } from "../cluster-rollouts.ts";
import { EXIT_FINDINGS, EXIT_OK, UsageError, printJson, type Command } from "../command.ts";
import { readHostEntry } from "../hosts-bucket.ts";
import { loadKube } from "../kube-load.ts";
import { KUBE_USAGE } from "../kube-target.ts";
import { connectCli, NATS_OPTIONS, NATS_USAGE } from "../nats-connection.ts";
import { jsonOrText, parseCommandArgs } from "../policy-args.ts";
import { readRolloutFile } from "../rollout-file.ts";
import { planText } from "../rollout-plan-text.ts";
import { rolloutWhatIf } from "../rollout-what-if.ts";

const usage = `usage: cpuidctl rollout plan -f <rollout.yaml> [-o json|text]

Dry run of a CpuidRollout before it is applied: reads the cluster's
DomainCpuidPolicies (and namespaces' labels for targets.namespaceSelector, the
members of targets.pool), plans the waves exactly as the controller would
now, and audits every targeted policy with the change layered on its spec
against its host's published policies. Shows the waves, the policies that
would fail now and why (and in which wave the rollout would halt), features a
disable takes along, policies left out and why, and another rollout that
already changes the same features of the same policies (this one would wait).
Policies created after the rollout is applied are not in its plan.

  -f <file>         YAML or JSON holding one CpuidRollout ("-" reads standard input)
  -o json|text      output format (default text)
${NATS_USAGE}

Exit status: 0 every planned policy would pass (or nothing would move),
1 some would fail their audit or another rollout holds this one back,
2 bad input (an invalid rollout, an unreachable cluster or NATS).

${KUBE_USAGE}`;

async function hostRecord(kv: KV, hostId: string): Promise<HostRecord | string> {
  const entry = await readHostEntry(kv, hostKey(hostId));
  if (!entry) return `host ${hostId} has not published policies to the ${HOSTS_BUCKET} bucket`;
  if (!entry.ok) return `host ${hostId}: its published policies are invalid (${entry.error})`;
  return decodeHostPolicies(entry.policies);
}

const command: Command = {
  summary: "dry-run a CpuidRollout: its waves, and which policies would fail now and why",
  usage,
  async run(args, kube) {
    const { values, positionals } = parseCommandArgs(args, { filename: { type: "string", short: "f" }, output: { type: "string", short: "o" }, ...NATS_OPTIONS }, usage);
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"\n\n${usage}`);
    if (!values.filename) throw new UsageError(`-f <file> is required\n\n${usage}`);
    const format = jsonOrText(values.output);
    const { name, spec } = readRolloutFile(values.filename);
    const { kubeConfig } = loadKube(kube);
    const { pool: poolName, namespaceSelector } = spec.targets;
    const [policies, rollouts, labels, pool] = await Promise.all([
      listDomainPolicies(kubeConfig),
      listRollouts(kubeConfig),
      namespaceSelector ? namespaceLabels(kubeConfig) : new Map<string, Record<string, string>>(),
      poolName !== undefined ? findPool(kubeConfig, poolName) : undefined,
    ]);
    const specs = policies.flatMap((p) => {
      const parsed = DomainCpuidPolicySpec.safeParse(p.spec);
      return parsed.success ? [parsed.data] : [];
    });
    const hosts = new Map<string, HostRecord | string>();
    if (specs.length) {
      const nc = await connectCli(values, "cpuidctl rollout plan");
      try {
        const kv = await openHostsBucket(nc);
        const ids = [...new Set(specs.map((s) => s.host))];
        const records = await Promise.all(ids.map((id) => hostRecord(kv, id)));
        ids.forEach((id, i) => hosts.set(id, records[i]));
      } finally {
        await nc.close();
      }
    }
    const pools = new Map<string, PoolBaseline>();
    for (const p of new Set(specs.flatMap((s) => (s.baseline === "pool" && s.pool ? [s.pool] : [])))) pools.set(p, poolBaseline(p, await findPool(kubeConfig, p)));
    const w = rolloutWhatIf(name, spec, {
      policies,
      namespaceLabels: labels,
      poolMembers: pool ? new Set(pool.status?.members ?? []) : undefined,
      rollouts,
      host: (id) => hosts.get(id) ?? `host ${id} has not published policies to the ${HOSTS_BUCKET} bucket`,
      pool: (p) => pools.get(p) ?? poolBaseline(p, undefined),
    });
    const ok = w.wouldFail === 0 && !w.waitsFor;
    if (format === "json") printJson({ ok, ...w });
    else process.stdout.write(planText(w));
    return ok ? EXIT_OK : EXIT_FINDINGS;
  },
};

export default command;
