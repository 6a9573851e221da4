// What the request handlers need from a hypervisor: the host's domains and a
// way to give one a CPU policy with Xen's rule that a domain's policy is fixed
// at its first unpause (later changes wait for its next start).

import { z } from "zod";
import { DomainState, type DomainInfo } from "../../shared/schemas/agent-messages.ts";
import { GuestType } from "../../shared/schemas/guest.ts";
import { SerialisedPolicyJson } from "../../shared/schemas/policy.ts";

export const PolicyRecord = z.object({ hash: z.string(), policy: SerialisedPolicyJson });
export type PolicyRecord = z.output<typeof PolicyRecord>;

export const DomainRecord = z.object({
  name: z.string(),
  /** "absent": the host has no such domain yet, only a policy waiting for it */
  state: DomainState,
  guestType: GuestType.optional(),
  active: PolicyRecord.optional(),
  staged: PolicyRecord.optional(),
  /** Xen's creation_finished: set at first unpause, after which set_cpu_policy fails */
  creationFinished: z.boolean(),
  lastRequestId: z.string().optional(),
  generation: z.number().int().optional(),
  /** uid of the resource whose request set the policy; orders requests with generation */
  resourceUid: z.string().optional(),
});
export type DomainRecord = z.output<typeof DomainRecord>;

export interface PolicyChange {
  domain: string;
  guestType: GuestType;
  policy: PolicyRecord;
  requestId: string;
  generation: number;
  resourceUid?: string;
}

export interface ChangeOutcome {
  result: "applied" | "staged";
  domain: DomainRecord;
  message: string;
}

/** A request the backend cannot carry out as asked (reported to the caller, not a crash). */
export class BackendRefusal extends Error {
  override name = "BackendRefusal";
}

export interface Backend {
  readonly kind: "sim" | "xen";
  setPolicy(change: PolicyChange): Promise<ChangeOutcome>;
  domain(name: string): Promise<DomainRecord | undefined>;
  domains(): Promise<DomainRecord[]>;
  close(): Promise<void>;
}

/** The policy a domain will run with from its next start on. */
export function nextPolicyHash(d: DomainRecord | undefined): string | undefined {
  return d?.staged?.hash ?? d?.active?.hash;
}

export function domainInfo(d: DomainRecord, withPolicies: boolean): DomainInfo {
  return {
    domain: d.name,
    state: d.state,
    guestType: d.guestType,
    activeHash: d.active?.hash,
    stagedHash: d.staged?.hash,
    ...(withPolicies ? { activePolicy: d.active?.policy, stagedPolicy: d.staged?.policy } : {}),
    lastRequestId: d.lastRequestId,
    generation: d.generation,
    resourceUid: d.resourceUid,
  };
}
