// The request logic behind cpuid.v1.host.<token>.{set,get,domains}, free of
// NATS: bytes in, a reply object out. Nothing a requester sends can make it
// throw; every failure becomes a structured ErrorReply.

import type { z } from "zod";
import type { CpuPolicy } from "../shared/policy/cpu-policy.ts";
import { policyHash } from "../shared/policy/canonical.ts";
import { deserialisePolicy, hex32, PolicyFormatError, serialisePolicy } from "../shared/policy/serialise.ts";
import type { ErrorReply } from "../shared/schemas/agent-messages.ts";
import {
  GetDomainRequest,
  ListDomainsRequest,
  MAX_REQUEST_BYTES,
  SetPolicyRequest,
  type GetDomainReply,
  type ListDomainsReply,
  type SetPolicyReply,
} from "../shared/schemas/agent-messages.ts";
import type { FindingJson } from "../shared/schemas/finding.ts";
import type { GuestType } from "../shared/schemas/guest.ts";
import { policyFromJson, policyToJson } from "../shared/policy/policy-json.ts";
import { BackendRefusal, domainInfo, nextPolicyHash, type Backend } from "./backends/backend.ts";

export type Operation = "set" | "get" | "domains";
type ErrorCode = ErrorReply["error"]["code"];

export interface GuestMax {
  policy: CpuPolicy;
  hash: string;
}

export interface HandlerContext {
  hostId: string;
  backend: Backend;
  /** the host's current guest max policy for this guest type, or undefined before the first probe */
  guestMax(guestType: GuestType): GuestMax | undefined;
  /** strict audit of a requested policy against a guest max: empty = acceptable */
  audit(requested: CpuPolicy, max: CpuPolicy, guestType: GuestType): FindingJson[];
}

export type Reply = SetPolicyReply | z.output<typeof GetDomainReply> | z.output<typeof ListDomainsReply> | ErrorReply;

export interface Handled {
  reply: Reply;
  /** metrics label: applied, staged, rejected, duplicate, ok, or the error code */
  outcome: string;
}

class RequestError extends Error {
  readonly code: ErrorCode;
  readonly path?: string;
  constructor(code: ErrorCode, message: string, path?: string) {
    super(message);
    this.code = code;
    this.path = path;
  }
}

export async function handleRequest(op: Operation, payload: Uint8Array, ctx: HandlerContext): Promise<Handled> {
  try {
    const body = decode(payload);
    switch (op) {
      case "set":
        return await handleSet(body, ctx);
      case "get":
        return await handleGet(body, ctx);
      case "domains":
        return await handleDomains(body, ctx);
    }
  } catch (e) {
    if (e instanceof RequestError) return errorReply(ctx.hostId, e.code, e.message, e.path);
    if (e instanceof BackendRefusal) return errorReply(ctx.hostId, "bad-request", e.message);
    return errorReply(ctx.hostId, "internal", `internal error: ${(e as Error).message}`);
  }
}

function decode(payload: Uint8Array): unknown {
  if (payload.byteLength > MAX_REQUEST_BYTES) {
    throw new RequestError("too-large", `request is ${payload.byteLength} bytes, the limit is ${MAX_REQUEST_BYTES}`);
  }
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload));
  } catch (e) {
    throw new RequestError("bad-request", `request is not UTF-8 JSON: ${(e as Error).message}`);
  }
}

function validate<S extends z.ZodType>(schema: S, body: unknown, ctx: HandlerContext): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.join(".");
    throw new RequestError("bad-request", `${path ? `${path}: ` : ""}${issue.message}`, path || undefined);
  }
  const hostId = (parsed.data as { hostId: string }).hostId;
  if (hostId !== ctx.hostId) throw new RequestError("wrong-host", `request is for host ${JSON.stringify(hostId)}, this is ${JSON.stringify(ctx.hostId)}`, "hostId");
  return parsed.data;
}

async function handleSet(body: unknown, ctx: HandlerContext): Promise<Handled> {
  const req = validate(SetPolicyRequest, body, ctx);
  const policy = deserialiseRequested(req.policy);
  const hash = policyHash(policy);
  if (hash !== req.policyHash) {
    throw new RequestError("policy-invalid", `policyHash ${req.policyHash} does not match the policy (${hash})`, "policyHash");
  }
  const max = ctx.guestMax(req.guestType);
  if (!max) throw new RequestError("internal", "host policies are not known yet (first probe pending); retry");

  const base = {
    ok: true as const,
    hostId: ctx.hostId,
    domain: req.domain,
    requestId: req.requestId,
    policyHash: hash,
    maxHash: max.hash,
  };
  const existing = await ctx.backend.domain(req.domain);
  if (req.resourceUid && existing?.resourceUid === req.resourceUid && existing.generation !== undefined && req.generation < existing.generation) {
    throw new RequestError(
      "stale-request",
      `generation ${req.generation} of this resource is older than generation ${existing.generation}, which set domain ${req.domain}'s policy; nothing changed`,
      "generation",
    );
  }
  if (req.ifResourceUid && existing?.resourceUid !== req.ifResourceUid) {
    throw new RequestError(
      "stale-request",
      `domain ${req.domain}'s policy no longer comes from resource ${req.ifResourceUid}; nothing changed`,
      "ifResourceUid",
    );
  }
  if (existing && existing.state !== "absent" && existing.guestType && existing.guestType !== req.guestType) {
    throw new RequestError("bad-request", `domain ${req.domain} is a ${existing.guestType} guest, the policy is for ${req.guestType}`, "guestType");
  }
  const findings = ctx.audit(policy, max.policy, req.guestType);
  if (findings.length > 0) {
    const reply: SetPolicyReply = {
      ...base,
      result: "rejected",
      activeHash: existing?.active?.hash,
      stagedHash: existing?.staged?.hash,
      domainState: existing?.state ?? "absent",
      findings,
      duplicate: false,
      message: `rejected: ${findings.length} finding(s) against this host's current ${req.guestType} max; domain left unchanged`,
    };
    return { reply, outcome: "rejected" };
  }

  if (existing && nextPolicyHash(existing) === hash) {
    const result = existing.staged?.hash === hash ? "staged" : "applied";
    const reply: SetPolicyReply = {
      ...base,
      result,
      activeHash: existing.active?.hash,
      stagedHash: existing.staged?.hash,
      domainState: existing.state,
      findings: [],
      duplicate: true,
      message: `policy already ${result} for domain ${req.domain}; nothing changed`,
    };
    return { reply, outcome: "duplicate" };
  }

  const outcome = await ctx.backend.setPolicy({
    domain: req.domain,
    guestType: req.guestType,
    policy: { hash, policy: policyToJson(serialisePolicy(policy)) },
    requestId: req.requestId,
    generation: req.generation,
    ...(req.resourceUid ? { resourceUid: req.resourceUid } : {}),
  });
  const reply: SetPolicyReply = {
    ...base,
    result: outcome.result,
    activeHash: outcome.domain.active?.hash,
    stagedHash: outcome.domain.staged?.hash,
    domainState: outcome.domain.state,
    findings: [],
    duplicate: false,
    message: outcome.message,
  };
  return { reply, outcome: outcome.result };
}

function deserialiseRequested(json: z.output<typeof SetPolicyRequest>["policy"]): CpuPolicy {
  try {
    return deserialisePolicy(policyFromJson(json));
  } catch (e) {
    if (e instanceof PolicyFormatError) {
      const at = e.msr !== undefined ? `msr ${hex32(e.msr)}` : e.leaf !== undefined ? `leaf ${hex32(e.leaf)}:${hex32(e.subleaf ?? 0xffffffff)}` : undefined;
      throw new RequestError("policy-invalid", e.message, at ? `policy (${at})` : "policy");
    }
    throw e;
  }
}

async function handleGet(body: unknown, ctx: HandlerContext): Promise<Handled> {
  const req = validate(GetDomainRequest, body, ctx);
  const d = await ctx.backend.domain(req.domain);
  if (!d) throw new RequestError("unknown-domain", `host ${ctx.hostId} has no domain ${req.domain} and no policy for it`, "domain");
  return { reply: { ok: true, hostId: ctx.hostId, domain: domainInfo(d, true) }, outcome: "ok" };
}

async function handleDomains(body: unknown, ctx: HandlerContext): Promise<Handled> {
  validate(ListDomainsRequest, body, ctx);
  const domains = (await ctx.backend.domains()).map((d) => domainInfo(d, false));
  return { reply: { ok: true, hostId: ctx.hostId, domains }, outcome: "ok" };
}

function errorReply(hostId: string, code: ErrorCode, message: string, path?: string): Handled {
  return { reply: { ok: false, hostId, error: { code, message, ...(path ? { path } : {}) } }, outcome: code };
}
