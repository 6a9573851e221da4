// A domain migrating in (the sim backend's import, `cpuidctl sim migrate`):
// the host takes it only if its own audit accepts the policies it brings, as
// Xen's restore refuses a CPU policy the destination's max cannot give. Both
// the policy the domain runs with and one staged for its next start must fit;
// each brought policy must hash to what it claims.

import { policyHash } from "../shared/policy/canonical.ts";
import { deserialisePolicy, PolicyFormatError } from "../shared/policy/serialise.ts";
import type { FindingJson } from "../shared/schemas/finding.ts";
import type { SerialisedPolicyJson } from "../shared/schemas/policy.ts";
import { policyFromJson } from "../shared/policy/policy-json.ts";
import type { SimMigratingDomain } from "../shared/schemas/sim-admin.ts";
import { BackendRefusal, type DomainRecord, type PolicyRecord } from "./backends/backend.ts";
import type { HandlerContext } from "./handlers.ts";

export type IncomingAudit = Pick<HandlerContext, "guestMax" | "audit">;

/** The domain as this host would hold it, and what its own audit found against its max (empty: it fits). */
export function auditIncoming(d: SimMigratingDomain, ctx: IncomingAudit): { record: DomainRecord; findings: FindingJson[] } {
  const max = ctx.guestMax(d.guestType);
  if (!max) throw new BackendRefusal("host policies are not known yet (first probe pending); retry");
  const active = brought("active", d.activePolicy, d.activeHash);
  const staged = brought("staged", d.stagedPolicy, d.stagedHash);
  if (!active) throw new BackendRefusal(`domain ${d.domain} brings no active policy; a live domain always has one`);
  const findings = [active, staged].flatMap((p) => (p ? ctx.audit(deserialised(p), max.policy, d.guestType) : []));
  const record: DomainRecord = {
    name: d.domain,
    state: d.state,
    guestType: d.guestType,
    active,
    staged,
    creationFinished: d.creationFinished,
    lastRequestId: d.lastRequestId,
    generation: d.generation,
    resourceUid: d.resourceUid,
  };
  return { record, findings };
}

function brought(which: string, policy: SerialisedPolicyJson | undefined, hash: string | undefined): PolicyRecord | undefined {
  if (!policy) {
    if (hash) throw new BackendRefusal(`${which}Hash ${hash} comes without its ${which}Policy`);
    return undefined;
  }
  const actual = policyHash(deserialised({ hash: "", policy }, which));
  if (hash !== actual) throw new BackendRefusal(`the ${which} policy hashes to ${actual}, not the ${which}Hash ${hash ?? "(none)"} it came with`);
  return { hash: actual, policy };
}

function deserialised(p: PolicyRecord, which = "brought") {
  try {
    return deserialisePolicy(policyFromJson(p.policy));
  } catch (e) {
    if (e instanceof PolicyFormatError) throw new BackendRefusal(`the ${which} policy is invalid: ${e.message}`);
    throw e;
  }
}
