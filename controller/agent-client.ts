// Requests to host agents over NATS (cpuid.v1.host.<token>.{set,get,domains}), with
// every failure sorted into "the host is unavailable" (no responders, timeout,
// broker down: retry later) or "the agent answered with an error".

import type { NatsConnection } from "@nats-io/transport-node";
import { RequestMux, type RequestOutcome } from "../runtime/nats/request-mux.ts";
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
  readonly #requests: RequestMux;
  readonly #timeoutMs: number;
  /**
   * The JSON of each wire-form policy sent, by identity: the evaluation cache
   * hands out one shared, unchanging wire form per requested policy, and its
   * JSON (several KB) is most of a set request's.
   */
  readonly #policyJson = new WeakMap<object, string>();

  constructor(nc: NatsConnection, timeoutMs: number) {
    this.#requests = new RequestMux(nc);
    this.#timeoutMs = timeoutMs;
  }

  set(request: SetPolicyRequest): Promise<AgentResult<SetPolicyReply>> {
    const { policy, ...rest } = request;
    let policyJson = this.#policyJson.get(policy);
    if (policyJson === undefined) this.#policyJson.set(policy, (policyJson = JSON.stringify(policy)));
    // `rest` always has hostId, so its JSON is "{…}" with at least one member
    const json = `{"policy":${policyJson},${JSON.stringify(rest).slice(1)}`;
    return this.#request(request.hostId, "set", json, (body) => SetPolicyReply.safeParse(body));
  }

  async get(hostId: string, domain: string): Promise<AgentResult<DomainInfo>> {
    const r = await this.#request(hostId, "get", JSON.stringify({ hostId, domain }), (body) => GetDomainReply.safeParse(body));
    return r.kind === "ok" ? { kind: "ok", value: r.value.domain } : r;
  }

  async domains(hostId: string): Promise<AgentResult<DomainInfoSummary[]>> {
    const r = await this.#request(hostId, "domains", JSON.stringify({ hostId }), (body) => ListDomainsReply.safeParse(body));
    return r.kind === "ok" ? { kind: "ok", value: r.value.domains } : r;
  }

  async #request<T>(
    hostId: string,
    operation: "set" | "get" | "domains",
    json: string,
    parseOk: (body: unknown) => { success: true; data: T } | { success: false },
  ): Promise<AgentResult<T>> {
    const subject = hostSubject(hostId, operation);
    const outcome = await this.#requests.request(subject, json, this.#timeoutMs);
    if (outcome.kind !== "reply") return { kind: "unavailable", message: describeUnavailable(outcome, subject, this.#timeoutMs) };
    let reply: unknown;
    try {
      reply = JSON.parse(outcome.msg.string());
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

function describeUnavailable(outcome: Exclude<RequestOutcome, { kind: "reply" }>, subject: string, timeoutMs: number): string {
  switch (outcome.kind) {
    case "no-responders":
      return `no agent answers on ${subject} (no responders): the host's agent is down or disconnected`;
    case "timeout":
      return `the host's agent did not answer on ${subject} within ${timeoutMs} ms`;
    case "failed":
      return `request on ${subject} failed: ${outcome.message}`;
  }
}
