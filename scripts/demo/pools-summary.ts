// The demo's pools section: each pool's members and level with the hosts
// that limit it and what each removes, then where each example policy's
// domain could move (status.acceptingHosts), within its pool and beyond.

import type { CpuidPoolObject } from "../../shared/api/v1alpha1/cpuid-pool.ts";
import type { DomainCpuidPolicyObject } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { shortPolicyHash } from "../../shared/policy/canonical.ts";
import type { PoolSnapshot } from "./pools.ts";
import { table } from "./summary.ts";

/** removed features named before "… and N more" */
const REMOVES_SHOWN = 8;

export function renderPools(snapshot: PoolSnapshot): string {
  const { pools } = snapshot;
  const lines = ["Pools (kubectl get cpool; examples/pools/)"];
  lines.push(
    ...table(
      ["POOL", "GUEST", "MEMBERS", "LEVEL", "HASH"],
      pools.map((p) => {
        const s = p.status ?? {};
        return [p.metadata.name ?? "", p.spec.guestType, String(s.members?.length ?? 0), s.level ? `${s.level.features.length} features` : "-", s.level ? shortPolicyHash(s.level.hash) : "-"];
      }),
    ),
  );
  for (const p of pools) {
    const s = p.status ?? {};
    lines.push("", `  ${p.metadata.name}: ${s.members?.join(", ") || "no members"}`);
    const limiting = s.limitingHosts ?? [];
    if (limiting.length === 0 && s.level) lines.push("    no host limits the level: every member offers the same features");
    for (const l of limiting) lines.push(`    ${l.host} limits it, removes ${l.removes.length}: ${shortNames(l.removes)}`);
    for (const r of s.incompatibleHosts ?? []) lines.push(`    ${r.host} refused: lacks ${shortNames(r.missing)}`);
    const ready = s.conditions?.find((c) => c.type === "Ready");
    if (ready?.status !== "True") lines.push(`    not ready: ${ready?.message ?? "not reconciled yet"}`);
  }
  lines.push("", "Where each domain could move (status.acceptingHosts: the hosts whose guest max accepts its effective policy)");
  lines.push(...table(["POLICY", "HOST", "POOL", "ACCEPTED BY"], snapshot.policies.map((p) => movesRow(p, pools))));
  lines.push("  (a policy with baseline: pool builds on its pool's level instead of its host's default: every member accepts it)");
  if (!snapshot.settled) lines.push("", "  (the pools were not all levelled in time: kubectl get cpool shows the latest)");
  return lines.join("\n") + "\n\n";
}

function shortNames(names: readonly string[]): string {
  const shown = names.slice(0, REMOVES_SHOWN).join(", ");
  return names.length > REMOVES_SHOWN ? `${shown}, … and ${names.length - REMOVES_SHOWN} more` : shown;
}

/** POOL: the pool the policy's host is a member of, with how many of its members accept the policy */
function movesRow(p: DomainCpuidPolicyObject, pools: readonly CpuidPoolObject[]): string[] {
  const host = (p.spec as { host?: string }).host ?? "";
  const accepting = p.status?.acceptingHosts;
  const pool = pools.find((q) => q.status?.members?.includes(host));
  const members = pool?.status?.members ?? [];
  const inPool = pool && accepting ? `${pool.metadata.name}: ${members.filter((m) => accepting.hosts.includes(m)).length} of ${members.length}` : "-";
  const by = !accepting ? "-" : accepting.count === 0 ? "none" : `${accepting.count}: ${accepting.hosts.join(", ")}${accepting.count > accepting.hosts.length ? ", …" : ""}`;
  return [p.metadata.name ?? "", host, inPool, by];
}
