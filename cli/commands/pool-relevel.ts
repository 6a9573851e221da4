// cpuidctl pool relevel <pool> --dry-run | --confirm <hash> [--kubeconfig <file>] [--context <name>] [-o json|text]

import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { EXIT_FINDINGS, EXIT_OK, UsageError, printJson, type Command } from "../command.ts";
import { openHostsBucket } from "../../runtime/nats/hosts-bucket.ts";
import { readHostEntry } from "../hosts-bucket.ts";
import { connectCli, NATS_OPTIONS, NATS_USAGE } from "../nats-connection.ts";
import { jsonOrText, parseCommandArgs } from "../policy-args.ts";
import { relevelWhatIf, whatIfText, type WhatIf } from "../pool-what-if.ts";
import type { DomainCpuidPolicyObject } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import type { HostCpuidPolicyObject } from "../../shared/api/v1alpha1/host-cpuid-policy.ts";
import { API_GROUP, API_VERSION, DOMAIN_PLURAL, HOST_PLURAL, POOL_PLURAL } from "../../shared/api/v1alpha1/names.ts";
import { decodeHostPolicies } from "../../shared/hosts/host-record.ts";
import { hostKey } from "../../shared/nats/subjects.ts";
import { RELEVEL_CONFIRM_ANNOTATION } from "../../shared/pool/level-annotation.ts";
import { selectHosts, type PoolCandidate } from "../../shared/pool/pool-members.ts";
import { guestMax } from "../../shared/request/build-request.ts";
import { loadKube } from "../kube-load.ts";
import { KUBE_USAGE } from "../kube-target.ts";
import { findPool } from "../cluster-pools.ts";

const usage = `usage: cpuidctl pool relevel <pool> --dry-run | --confirm <hash> [--kubeconfig <file>] [--context <name>] [-o json|text]

A Pinned CpuidPool keeps the level it was first computed with. Relevelling
recomputes it from the hosts the pool selects now (the way the controller
does), which may lower it to admit weaker hosts.

  --dry-run         show the what-if: the new level and its hash, what it
                    removes and adds, its members and the hosts limiting it,
                    and the DomainCpuidPolicies affected (today: those whose
                    spec.host is a member of the relevelled pool)
  --confirm <hash>  relevel, if <hash> (from --dry-run) is still what the
                    selected hosts give; the controller checks it again
  -o json|text      output format (default text)
${NATS_USAGE}

Exit status: 0 done, 1 the hosts cannot be levelled, 2 bad input (unknown
pool, no --dry-run or --confirm, a stale hash).

${KUBE_USAGE}`;

const group = { group: API_GROUP, version: API_VERSION };

async function candidates(hostObjects: HostCpuidPolicyObject[], guest: "pv" | "hvm", values: { "nats-url"?: string; "nats-seed-file"?: string }): Promise<PoolCandidate[]> {
  const nc = await connectCli(values);
  try {
    const kv = await openHostsBucket(nc);
    return await Promise.all(
      hostObjects.map(async (obj) => {
        const hostId = obj.status?.hostId ?? obj.metadata.name!;
        const entry = await readHostEntry(kv, hostKey(hostId));
        const max = entry?.ok ? guestMax(decodeHostPolicies(entry.policies).guest, guest) : undefined;
        return { host: hostId, labels: obj.metadata.labels, max, tsc: entry?.ok ? entry.policies.tsc : undefined };
      }),
    );
  } finally {
    await nc.close();
  }
}

const command: Command = {
  summary: "show what relevelling a pinned pool would change, then relevel it with its hash",
  usage,
  async run(args, kube) {
    const { values, positionals } = parseCommandArgs(
      args,
      { "dry-run": { type: "boolean" }, confirm: { type: "string" }, output: { type: "string", short: "o" }, ...NATS_OPTIONS },
      usage,
    );
    if (positionals.length !== 1) throw new UsageError(`expected one pool name\n\n${usage}`);
    if (!values["dry-run"] === (values.confirm === undefined)) throw new UsageError("give exactly one of --dry-run (to see what changes) and --confirm <hash> (the hash --dry-run printed)");
    const format = jsonOrText(values.output);
    const { kubeConfig } = loadKube(kube);
    const api = kubeConfig.makeApiClient(CustomObjectsApi);
    const pool = await findPool(kubeConfig, positionals[0]);
    if (!pool) throw new UsageError(`CpuidPool ${positionals[0]} not found`);
    const [hostList, policyList] = await Promise.all([
      api.listClusterCustomObject({ ...group, plural: HOST_PLURAL }) as Promise<{ items: HostCpuidPolicyObject[] }>,
      api.listClusterCustomObject({ ...group, plural: DOMAIN_PLURAL }) as Promise<{ items: DomainCpuidPolicyObject[] }>,
    ]);
    const selected = selectHosts(await candidates(hostList.items, pool.spec.guestType, values), pool.spec.hostSelector);
    const w: WhatIf = relevelWhatIf(pool, selected, policyList.items);
    if (values.confirm !== undefined) {
      if (!w.newHash) throw new UsageError(`cannot relevel pool ${w.pool}: ${w.errors.join("; ")}`);
      if (values.confirm !== w.newHash)
        throw new UsageError(`--confirm ${values.confirm} is stale: the hosts pool ${w.pool} selects give ${w.newHash} now; run --dry-run again and check what it changes`);
      await api.patchClusterCustomObject(
        { ...group, plural: POOL_PLURAL, name: w.pool, body: { metadata: { annotations: { [RELEVEL_CONFIRM_ANNOTATION]: w.newHash } } } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
    }
    if (format === "json") printJson({ ...w, confirmed: values.confirm !== undefined });
    else process.stdout.write(whatIfText(w) + (values.confirm !== undefined ? `confirmation written; the controller relevels pool ${w.pool} to ${w.newHash}\n` : ""));
    return w.newHash ? EXIT_OK : EXIT_FINDINGS;
  },
};

export default command;
