// cpuidctl audit -f <dcp.yaml>: the controller's audit of DomainCpuidPolicies,
// run before they are applied, against the live host data in the
// cpuid-hosts bucket (same evaluation code as the controller).

import { findPool } from "../cluster-pools.ts";
import { poolBaseline, type PoolBaseline } from "../../shared/domain-policy/pool-baseline.ts";
import type { KV } from "@nats-io/kv";
import { parseAllDocuments } from "yaml";
import { evaluateDomainPolicy, type Evaluation } from "../../shared/domain-policy/evaluate.ts";
import { findingsBlock } from "../../shared/audit/findings-text.ts";
import { decodeHostPolicies } from "../../shared/hosts/host-record.ts";
import { HOSTS_BUCKET, hostKey } from "../../shared/nats/subjects.ts";
import { DomainCpuidPolicySpec } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { API_GROUP } from "../../shared/api/v1alpha1/names.ts";
import type { FindingJson } from "../../shared/schemas/finding.ts";
import { EXIT_FINDINGS, EXIT_OK, UsageError, printJson, type Command } from "../command.ts";
import { jsonOrText, parseCommandArgs } from "../policy-args.ts";
import { openHostsBucket } from "../../runtime/nats/hosts-bucket.ts";
import { readHostEntry } from "../hosts-bucket.ts";
import { readInput } from "../policy-input.ts";
import { connectCli, NATS_OPTIONS, NATS_USAGE } from "../nats-connection.ts";
import { loadKube, type LoadedKube } from "../kube-load.ts";
import { clusterRequested, KUBE_USAGE, type KubeTarget } from "../kube-target.ts";
import { conflictingPolicy, listClusterPolicies, type ClusterPolicy } from "../cluster-policies.ts";

const usage = `usage: cpuidctl audit -f <file> [--nats-url <url>] [--nats-seed-file <file>] [-o json|text]

Audit DomainCpuidPolicy objects before applying them, against the policies their
hosts published to the cpuid-hosts bucket, exactly as the controller will.
With a cluster (--kubeconfig, --context, $KUBECONFIG, or as \`kubectl cpuid\`),
also report a policy that another DomainCpuidPolicy there already governs
(same host and domain): the controller would leave it in Conflict.

  -f <file>               YAML or JSON with one or more DomainCpuidPolicy objects
                          ("-" reads standard input)
${NATS_USAGE}
  -o json|text            output format (default text)

${KUBE_USAGE}

Exit status: 0 clean, 1 findings, 2 bad input (or nothing to audit against).`;

interface DocumentResult {
  name: string;
  namespace?: string;
  host: string;
  domain: string;
  guestType: string;
  ok: boolean;
  findings: FindingJson[];
  /** namespace/name of the policy in the cluster that governs this host and domain already */
  conflict?: string;
  policyHash?: string;
  hostPolicyHash?: string;
  addedFeatures?: string[];
  removedFeatures?: string[];
}

interface PolicyDocument {
  name: string;
  namespace?: string;
  spec: DomainCpuidPolicySpec;
}

function readPolicies(file: string, namespace: string | undefined): PolicyDocument[] {
  const docs = parseAllDocuments(readInput(file));
  const out: PolicyDocument[] = [];
  for (const doc of docs) {
    if (doc.errors.length) throw new UsageError(`${file}: not valid YAML: ${doc.errors[0].message}`);
    const value = doc.toJS() as { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string }; spec?: unknown; items?: unknown[] } | null;
    if (value === null) continue;
    const objects = value.kind?.endsWith("List") && Array.isArray(value.items) ? (value.items as (typeof value)[]) : [value];
    for (const obj of objects) {
      if (obj?.kind !== "DomainCpuidPolicy" || !obj.apiVersion?.startsWith(`${API_GROUP}/`)) continue;
      const name = obj.metadata?.name ?? "(unnamed)";
      const spec = DomainCpuidPolicySpec.safeParse(obj.spec);
      if (!spec.success) {
        const issues = spec.error.issues.map((i) => `spec.${i.path.join(".")}: ${i.message}`).join("; ");
        throw new UsageError(`${file}: DomainCpuidPolicy ${name}: ${issues}`);
      }
      out.push({ name, namespace: obj.metadata?.namespace ?? namespace, spec: spec.data });
    }
  }
  if (out.length === 0) throw new UsageError(`${file}: no ${API_GROUP} DomainCpuidPolicy objects found`);
  return out;
}

async function fetchHost(kv: KV, hostId: string) {
  const entry = await readHostEntry(kv, hostKey(hostId));
  if (!entry) return undefined;
  if (!entry.ok) throw new UsageError(`host ${hostId}: the published HostPolicies are invalid`);
  return decodeHostPolicies(entry.policies);
}

function auditOne(doc: PolicyDocument, evaluation: Evaluation, conflict: ClusterPolicy | undefined): DocumentResult {
  const { host, domain, guestType } = doc.spec;
  const base = { name: doc.name, ...(doc.namespace ? { namespace: doc.namespace } : {}), host, domain, guestType };
  if (evaluation.kind !== "audited") throw new UsageError(`DomainCpuidPolicy ${doc.name}: ${evaluation.message}`);
  return {
    ...base,
    ok: evaluation.findings.length === 0 && !conflict,
    findings: evaluation.findings,
    ...(conflict ? { conflict: `${conflict.namespace}/${conflict.name}` } : {}),
    policyHash: evaluation.policyHash,
    hostPolicyHash: evaluation.maxHash,
    addedFeatures: evaluation.added,
    removedFeatures: evaluation.removed,
  };
}

function resultText(r: DocumentResult): string {
  const head = `${r.namespace ? `${r.namespace}/` : ""}${r.name} (host ${r.host}, domain ${r.domain}, ${r.guestType}): `;
  if (r.conflict) {
    const conflict = `conflict: ${r.conflict} already governs domain ${r.domain} on host ${r.host}; the controller sends nothing for this policy while that one exists\n`;
    return `${head}${conflict}${r.findings.length ? `${findingsBlock(r.findings)}\n` : ""}`;
  }
  if (r.ok) {
    return `${head}ok: fits the host's guest max; ${r.addedFeatures?.length ?? 0} features added and ${r.removedFeatures?.length ?? 0} removed versus the host default\n`;
  }
  return `${head}${findingsBlock(r.findings)}\n`;
}

/** spec.pool read from the cluster, for baseline pool; without a cluster, why it cannot be. */
async function poolOf(spec: DomainCpuidPolicySpec, cluster: LoadedKube | undefined): Promise<PoolBaseline | undefined> {
  if (spec.baseline !== "pool" || !spec.pool) return undefined;
  if (!cluster) {
    return { kind: "unavailable", pool: spec.pool, reason: "PoolNotReady", message: `baseline pool builds from CpuidPool ${spec.pool}'s level, read from the cluster: give --kubeconfig or --context` };
  }
  return poolBaseline(spec.pool, await findPool(cluster.kubeConfig, spec.pool));
}

const command: Command = {
  summary: "dry-run the controller's audit of DomainCpuidPolicy objects against live host data",
  usage,
  async run(args, kube: KubeTarget) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        filename: { type: "string", short: "f" },
        ...NATS_OPTIONS,
        output: { type: "string", short: "o" },
      },
      usage,
    );
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"\n\n${usage}`);
    if (!values.filename) throw new UsageError(`-f <file> is required\n\n${usage}`);
    const format = jsonOrText(values.output);
    const cluster = clusterRequested(kube) ? loadKube(kube) : undefined;
    const docs = readPolicies(values.filename, kube.namespace ?? cluster?.namespace);
    const existing = cluster ? await listClusterPolicies(cluster) : [];
    const nc = await connectCli(values, "cpuidctl audit");
    try {
      const kv = await openHostsBucket(nc);
      const results: DocumentResult[] = [];
      for (const doc of docs) {
        const host = await fetchHost(kv, doc.spec.host);
        if (!host) throw new UsageError(`DomainCpuidPolicy ${doc.name}: host ${doc.spec.host} has not published policies to the ${HOSTS_BUCKET} bucket`);
        const conflict = conflictingPolicy({ namespace: doc.namespace, name: doc.name, ...doc.spec }, existing);
        results.push(auditOne(doc, evaluateDomainPolicy(doc.spec, host, await poolOf(doc.spec, cluster)), conflict));
      }
      const ok = results.every((r) => r.ok);
      if (format === "json") printJson({ ok, results });
      else for (const r of results) process.stdout.write(resultText(r));
      return ok ? EXIT_OK : EXIT_FINDINGS;
    } finally {
      await nc.close();
    }
  },
};

export default command;
