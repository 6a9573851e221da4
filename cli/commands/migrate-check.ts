// cpuidctl migrate check <namespace>/<policy> --to <host>: could the domain
// move to <host> with its policy? As Xen migrates, the policy travels with the
// domain and the destination's guest max must accept it: the effective policy
// (shared/domain-policy/effective-policy.ts, from the DomainCpuidPolicy's
// status) is fitted to the destination's published guest max, and a policy
// with invariant TSC to the TSC rates of both hosts (shared/level/compat.ts).

import { findPool } from "../cluster-pools.ts";
import { evaluateDomainPolicy } from "../../shared/domain-policy/evaluate.ts";
import { poolBaseline } from "../../shared/domain-policy/pool-baseline.ts";
import type { KubeConfig } from "@kubernetes/client-node";
import { ApiException, CustomObjectsApi } from "@kubernetes/client-node";
import { findingToJson } from "../../shared/audit/finding.ts";
import { findingsBlock } from "../../shared/audit/findings-text.ts";
import { DomainCpuidPolicySpec, type DomainCpuidPolicyObject } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { API_GROUP, API_VERSION, DOMAIN_PLURAL } from "../../shared/api/v1alpha1/names.ts";
import { effectivePolicy } from "../../shared/domain-policy/effective-policy.ts";
import { decodeHostPolicies, guestMaxHash, type HostRecord } from "../../shared/hosts/host-record.ts";
import { policyFits } from "../../shared/level/compat.ts";
import { moveEnd } from "../../shared/level/host-member.ts";
import { DEFAULT_HEARTBEAT_INTERVAL_SECONDS, hostLiveness } from "../../shared/nats/host-liveness.ts";
import { HOSTS_BUCKET, hostKey } from "../../shared/nats/subjects.ts";
import { guestMax } from "../../shared/request/build-request.ts";
import type { FindingJson } from "../../shared/schemas/finding.ts";
import { openHostsBucket } from "../../runtime/nats/hosts-bucket.ts";
import { EXIT_FINDINGS, EXIT_OK, UsageError, printJson, type Command } from "../command.ts";
import { HeartbeatListener } from "../heartbeat-listener.ts";
import { readHostEntry } from "../hosts-bucket.ts";
import { connectCli, NATS_OPTIONS, NATS_USAGE } from "../nats-connection.ts";
import { jsonOrText, parseCommandArgs } from "../policy-args.ts";
import { loadKube } from "../kube-load.ts";
import { KUBE_USAGE } from "../kube-target.ts";

/** a heartbeat may arrive a little after its interval (the agent counts its domains first) */
const HEARTBEAT_SLACK_MS = 1_000;

const usage = `usage: cpuidctl migrate check <namespace>/<policy> --to <host> [--kubeconfig <file>] [--context <name>] [-o json|text]

Whether the domain of a DomainCpuidPolicy could move to <host> with its policy,
as Xen migrates: the effective policy in the resource's status (carried or
built on its host, and checked against status.policyHash) must fit <host>'s
published guest max for the domain's guest type. With invariant TSC (itsc) on,
<host> must also run at the TSC frequency of the policy's host (within 250
ppm) or, for HVM, scale TSC; a frequency not published refuses nothing (as in
a pool) and is printed as a warning. Prints every finding when it does not fit.

  --to <host>             the destination host id (as in the cpuid-hosts bucket)
${NATS_USAGE}
  -o json|text            output format (default text)

Exit status: 0 the move is safe, 1 it is not (findings), 2 bad input: no such
policy, a policy not audited or not applied yet, an unknown or stale host, or a
host without guests of the domain's type.

${KUBE_USAGE}`;

interface Verdict {
  policy: string;
  domain: string;
  guestType: string;
  from: string;
  to: string;
  policyHash: string;
  hostPolicyHash: string;
  safe: boolean;
  findings: FindingJson[];
  warnings: string[];
}

function parseTarget(target: string): { namespace: string; name: string } {
  const parts = target.split("/");
  if (parts.length !== 2 || !parts[0] || !parts[1]) throw new UsageError(`"${target}" is not <namespace>/<policy>\n\n${usage}`);
  return { namespace: parts[0], name: parts[1] };
}

async function readPolicy(kc: KubeConfig, namespace: string, name: string): Promise<DomainCpuidPolicyObject> {
  try {
    return (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ group: API_GROUP, version: API_VERSION, namespace, plural: DOMAIN_PLURAL, name })) as DomainCpuidPolicyObject;
  } catch (e) {
    if (e instanceof ApiException && e.code === 404) throw new UsageError(`DomainCpuidPolicy ${namespace}/${name} not found`);
    throw new UsageError(`cannot read DomainCpuidPolicy ${namespace}/${name}: ${(e as Error).message}`);
  }
}

function requireAppliedPolicy(obj: DomainCpuidPolicyObject, ref: string): DomainCpuidPolicySpec {
  const spec = DomainCpuidPolicySpec.safeParse(obj.spec);
  if (!spec.success) throw new UsageError(`DomainCpuidPolicy ${ref}: invalid spec: ${spec.error.issues[0].message}`);
  const conditions = obj.status?.conditions ?? [];
  const audited = conditions.find((c) => c.type === "Audited");
  if (audited?.status !== "True" || obj.status?.observedGeneration !== obj.metadata.generation) {
    const why = audited ? `Audited=${audited.status} (${audited.reason}: ${audited.message})` : "the controller has not audited it yet";
    throw new UsageError(`DomainCpuidPolicy ${ref} has no audited effective policy to migrate: ${why}`);
  }
  const applied = conditions.find((c) => c.type === "Applied");
  if (applied?.status !== "True") {
    throw new UsageError(`DomainCpuidPolicy ${ref} is not applied on its host, so the domain does not hold it: Applied=${applied?.status ?? "absent"}${applied ? ` (${applied.reason})` : ""}`);
  }
  return spec.data;
}

function verdictText(v: Verdict): string {
  const head = `${v.policy} (domain ${v.domain}, ${v.guestType}, policy ${v.policyHash}) from ${v.from} to ${v.to}: `;
  const warnings = v.warnings.map((w) => `warning: ${w}\n`).join("");
  if (v.safe) return `${head}yes: the policy fits ${v.to}'s guest max (${v.hostPolicyHash})\n${warnings}`;
  return `${head}no\n${findingsBlock(v.findings)}\n${warnings}`;
}

const command: Command = {
  summary: "could a domain move to a host with its policy (DomainCpuidPolicy status vs the host's guest max)",
  usage,
  async run(args, kube) {
    const { values, positionals } = parseCommandArgs(args, { to: { type: "string" }, ...NATS_OPTIONS, output: { type: "string", short: "o" } }, usage);
    if (positionals.length !== 1) throw new UsageError(usage);
    if (!values.to) throw new UsageError(`--to <host> is required\n\n${usage}`);
    const format = jsonOrText(values.output);
    const { namespace, name } = parseTarget(positionals[0]);
    const ref = `${namespace}/${name}`;
    const { kubeConfig } = loadKube(kube);
    const obj = await readPolicy(kubeConfig, namespace, name);
    const spec = requireAppliedPolicy(obj, ref);
    const status = obj.status!;
    const from = status.host ?? spec.host;

    const nc = await connectCli(values, "cpuidctl migrate check");
    const heartbeats = new HeartbeatListener(nc);
    let destination: HostRecord;
    const records = new Map<string, HostRecord>();
    const published = new Map<string, number>();
    try {
      const kv = await openHostsBucket(nc);
      for (const hostId of new Set([from, values.to])) {
        const entry = await readHostEntry(kv, hostKey(hostId));
        if (!entry) continue;
        if (!entry.ok) throw new UsageError(`host ${hostId}: the published HostPolicies are invalid: ${entry.error}`);
        records.set(hostId, decodeHostPolicies(entry.policies));
        published.set(hostId, entry.created.getTime());
      }
      const dest = records.get(values.to);
      if (!dest) throw new UsageError(`host ${values.to} has not published policies to the ${HOSTS_BUCKET} bucket`);
      destination = dest;
      const interval = dest.published.heartbeatIntervalSeconds ?? DEFAULT_HEARTBEAT_INTERVAL_SECONDS;
      const created = published.get(values.to)!;
      if (hostLiveness(created, Date.now(), interval) === "stale") {
        await heartbeats.waitFor([values.to], interval * 1000 + HEARTBEAT_SLACK_MS);
        const lastHeard = Math.max(created, heartbeats.lastHeard(values.to) ?? 0);
        if (hostLiveness(lastHeard, Date.now(), interval) === "stale") {
          throw new UsageError(`host ${values.to} is stale: not heard from for ${Math.round((Date.now() - lastHeard) / 1000)} s (no heartbeat, no publication); a domain cannot move to it`);
        }
      }
    } finally {
      heartbeats.stop();
      await nc.close();
    }

    if (destination.published.summaries[spec.guestType === "pv" ? "pv_max" : "hvm_max"].featureCount === 0) {
      throw new UsageError(`host ${values.to} offers no ${spec.guestType} guests (its ${spec.guestType} max policy is empty)`);
    }
    const pool = spec.baseline === "pool" && spec.pool ? poolBaseline(spec.pool, await findPool(kubeConfig, spec.pool)) : undefined;
    const effective = effectivePolicy(spec, status, (id) => records.get(id), (s, h) => evaluateDomainPolicy(s, h, pool));
    if (effective.kind === "unknown") throw new UsageError(`DomainCpuidPolicy ${ref}: cannot tell its effective policy: ${effective.message}`);
    const fit = policyFits(effective.policy, guestMax(destination.guest, spec.guestType), {
      guest: spec.guestType,
      from: moveEnd(from, records.get(from)),
      to: moveEnd(values.to, destination),
    });
    const verdict: Verdict = {
      policy: ref,
      domain: spec.domain,
      guestType: spec.guestType,
      from,
      to: values.to,
      policyHash: effective.hash,
      hostPolicyHash: guestMaxHash(destination, spec.guestType),
      safe: fit.fits,
      findings: fit.findings.map(findingToJson),
      warnings: [...fit.warnings],
    };
    if (format === "json") printJson(verdict);
    else process.stdout.write(verdictText(verdict));
    return verdict.safe ? EXIT_OK : EXIT_FINDINGS;
  },
};

export default command;
