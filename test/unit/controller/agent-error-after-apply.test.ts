// The status decision when the host's agent errors or is unreachable after a
// policy was applied or staged: Applied turns False with the agent's reason,
// but what the host holds (applied hash, activation, domain state, last
// request) stays as last known; only a policy the host never took is Pending.

import { describe, expect, it } from "vitest";
import { decideStatus, type AgentOutcome } from "../../../controller/domain-policy/status.ts";
import { TRAVEL, cond, evaluation, reply, t0, t1, t2 } from "./status-fixture.ts";

const error: AgentOutcome = { kind: "error", code: "xen-error", message: "xc_set_cpu_policy: -EEXIST" };
const unavailable: AgentOutcome = { kind: "unavailable", message: "no responders for cpuid.v1.host.h1.set" };
const refused = "the host's agent refused the request (xen-error): xc_set_cpu_policy: -EEXIST";

const applied = decideStatus(undefined, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: reply("applied") }, t0).status;
const staged = decideStatus(undefined, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: reply("staged") }, t0).status;

describe("an agent error after the policy was applied", () => {
  const erred = () => decideStatus(applied, 2, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: error }, t1);

  it("turns Applied and Ready False with AgentError and the agent's code and message", () => {
    const d = erred();
    expect(cond(d.status, "Applied")).toEqual({ type: "Applied", status: "False", reason: "AgentError", message: refused, observedGeneration: 2, lastTransitionTime: "2026-11-26T10:01:00Z" });
    expect(cond(d.status, "Ready")).toMatchObject({ status: "False", reason: "AgentError", message: refused });
    expect(cond(d.status, "Audited")).toMatchObject({ status: "True", reason: "AuditPassed" });
  });

  it("keeps what the host holds: applied hash, Active, domain state, last request", () => {
    const d = erred();
    expect(d.status).toMatchObject({ appliedHash: "sha256:p1", activation: "Active", domainState: "paused", lastRequestId: "r1", observedGeneration: 2 });
  });

  it("retries with one Warning event, not a new audit failure", () => {
    const d = erred();
    expect(d.retry).toBe(true);
    expect(d.events).toEqual([{ type: "Warning", reason: "AgentError", action: "Apply", note: refused }]);
    expect(d.auditFailure).toBeUndefined();
  });

  it("a repeated error changes nothing and reports nothing", () => {
    const d = erred();
    const again = decideStatus(d.status, 2, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: error }, t2);
    expect(again.status).toEqual(d.status);
    expect(again.events).toEqual([]);
    expect(again.retry).toBe(true);
  });

  it("a different policy the host never took is Pending, the old applied hash kept", () => {
    const p2 = decideStatus(applied, 2, { kind: "audited", travel: TRAVEL, evaluation: evaluation({ policyHash: "sha256:p2" }), agent: error }, t1);
    expect(p2.status).toMatchObject({ policyHash: "sha256:p2", appliedHash: "sha256:p1", activation: "Pending" });
  });
});

describe("an agent error on the first apply", () => {
  it("is reported, and the policy is Pending", () => {
    const d = decideStatus(undefined, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: error }, t0);
    expect(d.events).toEqual([{ type: "Warning", reason: "AgentError", action: "Apply", note: refused }]);
    expect(d.status.activation).toBe("Pending");
    expect(d.status.appliedHash).toBeUndefined();
  });
});

describe("an agent error or outage after the policy was staged", () => {
  it("keeps Staged and the domain state through an agent error", () => {
    const d = decideStatus(staged, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: error }, t1);
    expect(d.status).toMatchObject({ appliedHash: "sha256:p1", activation: "Staged", domainState: "running" });
    expect(cond(d.status, "Applied")).toMatchObject({ status: "False", reason: "AgentError", message: refused });
    expect(d.retry).toBe(true);
  });

  it("keeps Staged through an outage, with one HostUnavailable event carrying the transport's message", () => {
    const d = decideStatus(staged, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: unavailable }, t1);
    expect(d.status).toMatchObject({ appliedHash: "sha256:p1", activation: "Staged" });
    expect(cond(d.status, "Applied")).toMatchObject({ status: "False", reason: "HostUnavailable", message: unavailable.message });
    expect(d.events).toEqual([{ type: "Warning", reason: "HostUnavailable", action: "Apply", note: "no responders for cpuid.v1.host.h1.set" }]);
    expect(decideStatus(d.status, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: unavailable }, t2).events).toEqual([]);
  });

  it("an error after an outage is reported: a different reason", () => {
    const down = decideStatus(staged, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: unavailable }, t1);
    const d = decideStatus(down.status, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: error }, t2);
    expect(d.events.map((e) => e.reason)).toEqual(["AgentError"]);
  });

  it("recovers to Applied=True Staged without a new event when the agent answers again", () => {
    const down = decideStatus(staged, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: error }, t1);
    const back = decideStatus(down.status, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: reply("staged") }, t2);
    expect(cond(back.status, "Applied")).toMatchObject({ status: "True", reason: "Staged", lastTransitionTime: "2026-11-26T10:02:00Z" });
    expect(back.status.activation).toBe("Staged");
    expect(back.events).toEqual([]);
  });
});

describe("long agent messages", () => {
  it("are cut to 1024 characters in the event note, kept whole in the condition", () => {
    const long: AgentOutcome = { kind: "error", code: "xen-error", message: "x".repeat(2000) };
    const d = decideStatus(applied, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: long }, t1);
    const full = `the host's agent refused the request (xen-error): ${"x".repeat(2000)}`;
    expect(cond(d.status, "Applied")?.message).toBe(full);
    expect(d.events[0].note).toBe(`${full.slice(0, 1023)}…`);
    const exact = decideStatus(applied, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: { ...long, message: "y".repeat(1024 - refused.length + error.message.length) } }, t1);
    expect(exact.events[0].note).toHaveLength(1024);
    expect(exact.events[0].note.endsWith("y")).toBe(true);
  });
});
