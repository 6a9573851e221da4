// Requests to host agents over NATS (cpuid.v1.host.<token>.{set,get,domains}), with
// every failure sorted into "the host is unavailable" (no responders, timeout,
// broker down: retry later) or "the agent answered with an error".

import { errors, type NatsConnection } from "@nats-io/transport-node";
import { hostSubject } from "../shared/nats/subjects.ts";
import {
  ErrorReply,
  GetDomainReply,
  ListDomainsReply,
  SetPolicyReply,
  type DomainInfo,
  type DomainInfoSummary,
  type SetPolicyRequest,
} from "../shared/schemas/agent-messages.ts";

export type AgentResult<T> =
  | { kind: "ok"; value: T }
  | { kind: "error"; code: string; message: string }
  | { kind: "unavailable"; message: string };

export class AgentClient {
  readonly #nc: NatsConnection;
  readonly #timeoutMs: number;

  constructor(nc: NatsConnection, timeoutMs: number) {
    this.#nc = nc;
    this.#timeoutMs = timeoutMs;
  }

  set(request: SetPolicyRequest): Promise<AgentResult<SetPolicyReply>> {
    return this.#request(request.hostId, "set", request, (body) => SetPolicyReply.safeParse(body));
  }

  async get(hostId: string, domain: string): Promise<AgentResult<DomainInfo>> {
    const r = await this.#request(hostId, "get", { hostId, domain }, (body) => GetDomainReply.safeParse(body));
    return r.kind === "ok" ? { kind: "ok", value: r.value.domain } : r;
  }

  async domains(hostId: string): Promise<AgentResult<DomainInfoSummary[]>> {
    const r = await this.#request(hostId, "domains", { hostId }, (body) => ListDomainsReply.safeParse(body));
    return r.kind === "ok" ? { kind: "ok", value: r.value.domains } : r;
  }

  async #request<T>(
    hostId: string,
    operation: "set" | "get" | "domains",
    body: unknown,
    parseOk: (body: unknown) => { success: true; data: T } | { success: false },
  ): Promise<AgentResult<T>> {
    const subject = hostSubject(hostId, operation);
    let text: string;
    try {
      const msg = await this.#nc.request(subject, JSON.stringify(body), { timeout: this.#timeoutMs });
      text = msg.string();
    } catch (err) {
      return { kind: "unavailable", message: describeUnavailable(err, subject, this.#timeoutMs) };
    }
    let reply: unknown;
    try {
      reply = JSON.parse(text);
    } catch {
      return { kind: "error", code: "bad-reply", message: `reply on ${subject} is not JSON` };
    }
    const ok = parseOk(reply);
    if (ok.success) return { kind: "ok", value: ok.data };
    const failure = ErrorReply.safeParse(reply);
    if (failure.success) return { kind: "error", code: failure.data.error.code, message: failure.data.error.message };
    return { kind: "error", code: "bad-reply", message: `reply on ${subject} matches neither the ${operation} reply nor the error schema` };
  }
}

function describeUnavailable(err: unknown, subject: string, timeoutMs: number): string {
  if (err instanceof errors.RequestError && err.isNoResponders()) {
    return `no agent answers on ${subject} (no responders): the host's agent is down or disconnected`;
  }
  if (err instanceof errors.TimeoutError || (err instanceof Error && err.cause instanceof errors.TimeoutError)) {
    return `the host's agent did not answer on ${subject} within ${timeoutMs} ms`;
  }
  return `request on ${subject} failed: ${(err as Error).message}`;
}
