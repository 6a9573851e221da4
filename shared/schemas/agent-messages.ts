// Requests the controller (or an operator) sends on cpuid.v1.host.<token>.{set,get,domains}
// and the agent's replies. Every reply is either {ok:true,…} or {ok:false,error}.

import { z } from "zod";
import { FindingJson } from "./finding.ts";
import { GuestType } from "./guest.ts";
import { SerialisedPolicyJson } from "./policy.ts";

/** Largest request payload an agent accepts (bytes); larger ones get a structured error. */
export const MAX_REQUEST_BYTES = 256 * 1024;

export const DomainName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "domain names are letters, digits, '_', '.', '-'");

export const SetPolicyRequest = z.object({
  hostId: z.string(),
  domain: DomainName,
  guestType: GuestType,
  policy: SerialisedPolicyJson,
  policyHash: z.string(),
  requestId: z.string().min(1).max(128),
  /** metadata.generation of the DomainCpuidPolicy this came from */
  generation: z.number().int().nonnegative(),
  /**
   * metadata.uid of that DomainCpuidPolicy: with generation it orders the
   * requests of one resource, so a late request of an older generation (say,
   * from a controller that lost its lease) cannot undo a newer one
   */
  resourceUid: z.string().min(1).max(128).optional(),
  /**
   * Apply only while the domain's policy still comes from the resource with
   * this uid (the controller's reset of a domain whose policy was deleted: a
   * policy created for the domain meanwhile must win)
   */
  ifResourceUid: z.string().min(1).max(128).optional(),
});
export type SetPolicyRequest = z.input<typeof SetPolicyRequest>;

export const SetResult = z.enum(["applied", "staged", "rejected"]);
export type SetResult = z.infer<typeof SetResult>;

export const DomainState = z.enum(["absent", "paused", "running", "shutdown"]);
export type DomainState = z.infer<typeof DomainState>;

/** Published by an agent when one of its domains is created, started, stopped or destroyed ("absent"). */
export const DomainEvent = z.object({ hostId: z.string(), domain: DomainName, state: DomainState, at: z.iso.datetime() });
export type DomainEvent = z.infer<typeof DomainEvent>;

export const SetPolicyReply = z.object({
  ok: z.literal(true),
  hostId: z.string(),
  domain: z.string(),
  requestId: z.string(),
  result: SetResult,
  policyHash: z.string(),
  /** hash of the policy the domain runs with now (absent for a domain not yet created) */
  activeHash: z.string().optional(),
  /** hash of the policy waiting for the domain's next start */
  stagedHash: z.string().optional(),
  domainState: DomainState,
  /** the host's guest max it was audited against */
  maxHash: z.string(),
  findings: z.array(FindingJson),
  /** true when this (domain, policy hash) was already handled: nothing applied twice */
  duplicate: z.boolean(),
  message: z.string(),
});
export type SetPolicyReply = z.infer<typeof SetPolicyReply>;

export const GetDomainRequest = z.object({ hostId: z.string(), domain: DomainName });

export const DomainInfo = z.object({
  domain: z.string(),
  state: DomainState,
  guestType: GuestType.optional(),
  activeHash: z.string().optional(),
  stagedHash: z.string().optional(),
  activePolicy: SerialisedPolicyJson.optional(),
  stagedPolicy: SerialisedPolicyJson.optional(),
  lastRequestId: z.string().optional(),
  generation: z.number().int().optional(),
  /** uid of the resource whose request set the domain's policy (absent when none did) */
  resourceUid: z.string().optional(),
});
export type DomainInfo = z.infer<typeof DomainInfo>;

export const GetDomainReply = z.object({ ok: z.literal(true), hostId: z.string(), domain: DomainInfo });

/** A domain without its policies, only their hashes. */
export const DomainInfoSummary = DomainInfo.omit({ activePolicy: true, stagedPolicy: true });
export type DomainInfoSummary = z.infer<typeof DomainInfoSummary>;

export const ListDomainsRequest = z.object({ hostId: z.string() });
export const ListDomainsReply = z.object({
  ok: z.literal(true),
  hostId: z.string(),
  domains: z.array(DomainInfoSummary),
});

export const ErrorCode = z.enum(["bad-request", "too-large", "wrong-host", "policy-invalid", "internal", "unknown-domain", "stale-request"]);
export const ErrorReply = z.object({
  ok: z.literal(false),
  hostId: z.string(),
  error: z.object({ code: ErrorCode, message: z.string(), path: z.string().optional() }),
});
export type ErrorReply = z.infer<typeof ErrorReply>;
