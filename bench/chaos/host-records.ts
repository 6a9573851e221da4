// What each simulated host really did, read from its sim backend's state file
// (fsynced before every acknowledgement, so it survives kill -9), compared
// with the DomainCpuidPolicies: the fault scenario's verdict, independent of
// what the agents report over NATS and of the controller's view.
//
//   lost         a policy whose generation was never installed into its domain on its host
//                (a generation whose policy equals an earlier one's needs no installation: the
//                agent answers it as a duplicate and its record keeps the earlier generation)
//   applied twice the same policy generation (resource uid + generation) installed into
//                the same domain more than once, per the host's journal
//   misapplied   an installation a domain got that was not meant for it: its resource is
//                unknown, is for another host or domain, or (same generation) has another hash
//   final state  every domain a policy names runs exactly that policy (hash, uid, generation),
//                and no domain carries a policy of a resource that does not name it; a domain
//                whose policy was deleted runs (or has staged) its host's default: the reset
//                keeps the deleted resource's uid on the domain (the agent answers a repeated
//                reset as a duplicate by it), so the uid alone does not tell a reset domain

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SIM_STATE_FILE, SimState, type Installation } from "../../agent/backends/sim.ts";
import { nextPolicyHash, type DomainRecord } from "../../agent/backends/backend.ts";
import { resetRequestId } from "../../controller/domain-policy/request-id.ts";

export interface DesiredPolicy {
  name: string;
  uid: string;
  generation: number;
  host: string;
  domain: string;
  /** the controller's effective policy hash (status.policyHash); undefined until it has evaluated */
  hash: string | undefined;
}

/** A policy deleted during the run: its domain must go back to its host's default. */
export interface DeletedPolicy {
  name: string;
  uid: string;
  host: string;
  domain: string;
  /** the host's default policy hash for the domain's guest type */
  defaultHash: string;
}

export interface HostRecord {
  domains: DomainRecord[];
  installed: Installation[];
}

export interface Verdict {
  lost: string[];
  appliedTwice: string[];
  misapplied: string[];
  /** domains whose final state differs from the desired one, with why */
  notAsDesired: string[];
  installations: number;
}

export function readHostRecord(stateDir: string): HostRecord {
  const file = join(stateDir, SIM_STATE_FILE);
  if (!existsSync(file)) return { domains: [], installed: [] };
  const state = SimState.parse(JSON.parse(readFileSync(file, "utf8")));
  return { domains: state.domains, installed: state.installed };
}

export function judge(desired: readonly DesiredPolicy[], records: ReadonlyMap<string, HostRecord>, deleted: readonly DeletedPolicy[] = []): Verdict {
  const byUid = new Map(desired.map((p) => [p.uid, p]));
  const deletedByUid = new Map(deleted.map((p) => [p.uid, p]));
  const verdict: Verdict = { lost: [], appliedTwice: [], misapplied: [], notAsDesired: [], installations: 0 };
  const timesInstalled = new Map<string, number>();
  for (const [host, record] of records) {
    for (const i of record.installed) {
      verdict.installations++;
      const where = `${host}/${i.domain}`;
      const live = i.resourceUid === undefined ? undefined : byUid.get(i.resourceUid);
      const gone = i.resourceUid === undefined ? undefined : deletedByUid.get(i.resourceUid);
      const meant = live ?? gone;
      const reset = isReset(i);
      if (!meant || meant.host !== host || meant.domain !== i.domain) verdict.misapplied.push(`${where} got ${i.resourceUid ?? "a policy of no resource"} (generation ${i.generation})${meant ? `, meant for ${meant.host}/${meant.domain}` : ""}`);
      else if (reset && gone?.defaultHash !== i.hash) verdict.misapplied.push(`${where} got hash ${i.hash} as the reset of ${meant.name}, ${gone ? `whose host default is ${gone.defaultHash}` : "which still exists"}`);
      else if (!reset && live && i.generation === live.generation && live.hash !== undefined && i.hash !== live.hash) verdict.misapplied.push(`${where} got hash ${i.hash} for ${live.name} generation ${i.generation}, which is ${live.hash}`);
      const key = `${where} ${i.resourceUid} ${i.generation}${reset ? " (reset)" : ""}`;
      timesInstalled.set(key, (timesInstalled.get(key) ?? 0) + 1);
    }
    for (const d of record.domains) {
      if (d.resourceUid === undefined) continue;
      const live = byUid.get(d.resourceUid);
      const gone = deletedByUid.get(d.resourceUid);
      const meant = live ?? gone;
      if (!meant || meant.host !== host || meant.domain !== d.name) verdict.notAsDesired.push(`${host}/${d.name} carries ${d.resourceUid}, which does not name it`);
      else if (gone && nextPolicyHash(d) !== gone.defaultHash) verdict.notAsDesired.push(`${host}/${d.name} keeps deleted ${gone.name}'s policy ${nextPolicyHash(d) ?? "-"}, not the host default ${gone.defaultHash}`);
    }
  }
  for (const [key, n] of timesInstalled) if (n > 1) verdict.appliedTwice.push(`${key} installed ${n} times`);
  for (const p of desired) {
    const record = records.get(p.host);
    const ofThisPolicy = (i: Installation) => i.domain === p.domain && i.resourceUid === p.uid && !isReset(i);
    const sameAsCurrent = (generation: number | undefined, hash: string | undefined) =>
      generation === p.generation || (generation !== undefined && generation < p.generation && p.hash !== undefined && hash === p.hash);
    const latest = record?.installed.filter((i) => ofThisPolicy(i) && (i.generation ?? Infinity) <= p.generation).at(-1);
    const installedHere = latest !== undefined && sameAsCurrent(latest.generation, latest.hash);
    if (!installedHere) verdict.lost.push(`${p.name} (${p.host}/${p.domain} generation ${p.generation})`);
    const d = record?.domains.find((x) => x.name === p.domain);
    const why = !d
      ? "no such domain"
      : d.resourceUid !== p.uid || !sameAsCurrent(d.generation, d.active?.hash)
        ? `runs ${d.resourceUid ?? "no resource"}'s generation ${d.generation ?? "-"}`
        : p.hash === undefined || d.active?.hash !== p.hash
          ? `runs hash ${d.active?.hash ?? "-"}, wanted ${p.hash ?? "(not evaluated)"}`
          : d.staged
            ? `has ${d.staged.hash} staged`
            : undefined;
    if (why) verdict.notAsDesired.push(`${p.host}/${p.domain} (${p.name}) ${why}`);
  }
  return verdict;
}

/** An installation of the host default by the reset that followed its policy's deletion. */
function isReset(i: Installation): boolean {
  return i.resourceUid !== undefined && i.requestId === resetRequestId(i.resourceUid);
}
