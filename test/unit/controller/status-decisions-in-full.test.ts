// decideStatus, whole decisions at a time: every condition's status, reason
// and message, each event's type, reason, action and note, the retry flag
// and the audit-failure label, for each kind of outcome and for the
// transitions that decide whether something is worth reporting again.

import { describe, expect, it } from "vitest";
import { decideStatus, type AgentOutcome, type Outcome } from "../../../controller/domain-policy/status.ts";
import { summariseFindings } from "../../../shared/audit/findings-text.ts";
import type { Condition } from "../../../shared/schemas/conditions.ts";
import { TRAVEL, cond, evaluation, finding, reply, t0, t1, t2 } from "./status-fixture.ts";

const at = (now: Date) => now.toISOString().replace(".000Z", "Z");
const c = (type: string, status: Condition["status"], reason: string, message: string, now = t0, generation = 1): Condition => ({
  type,
  status,
  reason,
  message,
  observedGeneration: generation,
  lastTransitionTime: at(now),
});
const passedMessage = "fits the host's guest max (sha256:max1); 1 features added and 0 removed versus the host default";
const audited = (agent?: AgentOutcome, ev = evaluation()): Outcome =>
  agent ? { kind: "audited", travel: TRAVEL, evaluation: ev, agent } : { kind: "audited", travel: TRAVEL, evaluation: ev };
const applied = decideStatus(undefined, 1, audited(reply("applied")), t0).status;
const f = (message: string) => ({ ...finding, message });

describe("summariseFindings", () => {
  it("counts, lists up to five messages and points to the rest", () => {
    expect(summariseFindings([f("a")])).toBe("1 finding: a");
    expect(summariseFindings([f("a"), f("b")])).toBe("2 findings: a; b");
    expect(summariseFindings(["a", "b", "c", "d", "e"].map(f))).toBe("5 findings: a; b; c; d; e");
    expect(summariseFindings(["a", "b", "c", "d", "e", "f", "g"].map(f))).toBe("7 findings: a; b; c; d; e; and 2 more (see status.findings)");
  });
});

describe("outcomes without an audit", () => {
  it("an unknown host: everything Unknown, nothing reported, no retry", () => {
    const m = "host h9 has not published policies to the cpuid-hosts bucket";
    expect(decideStatus(undefined, 1, { kind: "host-not-found", travel: TRAVEL, hostId: "h9" }, t0)).toEqual({
      status: { observedGeneration: 1, ...TRAVEL, conditions: [c("Audited", "Unknown", "HostNotFound", m), c("Applied", "Unknown", "HostNotFound", m), c("Migratable", "Unknown", "HostNotFound", m), c("Ready", "Unknown", "HostNotFound", m)] },
      events: [],
      retry: false,
    });
  });

  it("an unknown host keeps what the host holds and drops the last evaluation", () => {
    const d = decideStatus(applied, 1, { kind: "host-not-found", travel: TRAVEL, hostId: "h9" }, t1);
    expect(d.status).toEqual({
      observedGeneration: 1,
      ...TRAVEL,
      conditions: expect.any(Array),
      appliedHash: "sha256:p1",
      activation: "Active",
      domainState: "paused",
      lastRequestId: "r1",
    });
  });

  it("a conflict: one Warning event to apply, Applied False, no retry", () => {
    const m = "domain vm1 on host h1 is governed by the older DomainCpuidPolicy ns/older";
    expect(decideStatus(undefined, 1, { kind: "conflict", travel: TRAVEL, host: "h1", domain: "vm1", owner: "ns/older" }, t0)).toEqual({
      status: { observedGeneration: 1, ...TRAVEL, conditions: [c("Audited", "Unknown", "Conflict", m), c("Applied", "False", "Conflict", m), c("Migratable", "Unknown", "Conflict", m), c("Ready", "Unknown", "Conflict", m)] },
      events: [{ type: "Warning", reason: "Conflict", action: "Apply", note: m }],
      retry: false,
    });
  });

  it("an invalid spec: a Warning event to audit and an audit failure, once per generation", () => {
    const m = "spec.policy.leaves.0: bad";
    const d = decideStatus(undefined, 1, { kind: "invalid-policy", message: m }, t0);
    expect(d).toEqual({
      status: {
        observedGeneration: 1,
        conditions: [
          c("Audited", "False", "InvalidPolicy", m),
          c("Applied", "False", "NotAudited", "not sent to the host: spec.policy is invalid"),
          c("Migratable", "Unknown", "InvalidPolicy", m),
          c("Ready", "False", "InvalidPolicy", m),
        ],
      },
      events: [{ type: "Warning", reason: "InvalidPolicy", action: "Audit", note: m }],
      auditFailure: "InvalidPolicy",
      retry: false,
    });
    expect(decideStatus(d.status, 1, { kind: "invalid-policy", message: m }, t1).events).toEqual([]);
    // the next generation is invalid again: a new mistake, reported
    expect(decideStatus(d.status, 2, { kind: "invalid-policy", message: m }, t1).auditFailure).toBe("InvalidPolicy");
    // a valid generation that turns invalid is reported
    expect(decideStatus(applied, 1, { kind: "invalid-policy", message: m }, t1).auditFailure).toBe("InvalidPolicy");
  });
});

describe("a passed audit", () => {
  it("without an agent outcome: Audited True, Applied absent, Ready False NotAudited, nothing on the host", () => {
    expect(decideStatus(undefined, 1, audited(), t0)).toEqual({
      status: {
        observedGeneration: 1,
        ...TRAVEL,
        conditions: [c("Audited", "True", "AuditPassed", passedMessage), c("Ready", "False", "NotAudited", "")],
        policyHash: "sha256:p1",
        featureset: evaluation().featureset,
        addedFeatures: ["avx512f"],
        removedFeatures: [],
        hostPolicyHash: "sha256:max1",
      },
      events: [],
      retry: false,
    });
  });

  it("applied: a Normal Apply event naming host and domain", () => {
    const d = decideStatus(undefined, 1, audited(reply("applied")), t0);
    expect(d.events).toEqual([{ type: "Normal", reason: "Applied", action: "Apply", note: "applied on h1 to domain vm1" }]);
    expect(cond(d.status, "Applied")).toEqual(c("Applied", "True", "Applied", "applied on h1 to domain vm1"));
    expect(cond(d.status, "Ready")).toEqual(c("Ready", "True", "Applied", "applied on h1 to domain vm1"));
  });

  it("staged: the message says when it takes effect", () => {
    const m = "staged on h1: domain vm1 is running; the policy takes effect at its next start";
    const d = decideStatus(undefined, 1, audited(reply("staged")), t0);
    expect(d.events).toEqual([{ type: "Normal", reason: "Staged", action: "Apply", note: m }]);
    expect(cond(d.status, "Applied")).toEqual(c("Applied", "True", "Staged", m));
  });

  it("reports an apply only when the applied hash or the activation changes", () => {
    expect(decideStatus(applied, 1, audited(reply("applied", { duplicate: true })), t1).events).toEqual([]);
    const p2 = evaluation({ policyHash: "sha256:p2" });
    expect(decideStatus(applied, 2, audited(reply("applied", { policyHash: "sha256:p2" }), p2), t1).events.map((e) => e.reason)).toEqual(["Applied"]);
    const staged = decideStatus(undefined, 1, audited(reply("staged")), t0).status;
    expect(decideStatus(staged, 1, audited(reply("applied")), t1).events.map((e) => e.reason)).toEqual(["Applied"]);
  });

  it("a staged policy found active: a Normal Activate event, once", () => {
    const staged = decideStatus(undefined, 1, audited(reply("staged")), t0).status;
    const info = { domain: "vm1", state: "running" as const, activeHash: "sha256:p1" };
    const m = "active on domain vm1: it started with the staged policy";
    const d = decideStatus(staged, 1, audited({ kind: "domain", info }), t1);
    expect(d.events).toEqual([{ type: "Normal", reason: "Applied", action: "Activate", note: m }]);
    expect(cond(d.status, "Applied")).toEqual(c("Applied", "True", "Applied", m, t0));
    expect(decideStatus(d.status, 1, audited({ kind: "domain", info }), t2)).toEqual({ status: d.status, events: [], retry: false });
  });

  it("a rejection: a Warning Apply event and an audit failure once, retried each time", () => {
    const m = "the host's agent rejected the policy against its current max (sha256:max9): 1 finding: avx512f is not in the host's hvm max policy";
    const d = decideStatus(undefined, 1, audited(reply("rejected", { maxHash: "sha256:max9" })), t0);
    expect(d.events).toEqual([{ type: "Warning", reason: "Rejected", action: "Apply", note: m }]);
    expect(cond(d.status, "Applied")).toEqual(c("Applied", "False", "Rejected", m));
    expect(d.status.lastRequestId).toBe("r1");
    const again = decideStatus(d.status, 1, audited(reply("rejected", { maxHash: "sha256:max9" })), t1);
    expect(again).toEqual({ status: d.status, events: [], retry: true });
  });

  it("an outage: a Warning Apply event with the transport's message", () => {
    const d = decideStatus(undefined, 1, audited({ kind: "unavailable", message: "timeout" }), t0);
    expect(d.events).toEqual([{ type: "Warning", reason: "HostUnavailable", action: "Apply", note: "timeout" }]);
  });
});

describe("a failed audit", () => {
  const failing = evaluation({ findings: [finding] });
  const summary = "1 finding: avx512f is not in the host's hvm max policy";

  it("in full: Audited False with the summary, Applied NotAudited, a Warning Audit event", () => {
    expect(decideStatus(undefined, 1, audited(undefined, failing), t0)).toEqual({
      status: {
        observedGeneration: 1,
        ...TRAVEL,
        conditions: [c("Audited", "False", "AuditFailed", summary), c("Applied", "False", "NotAudited", "not sent to h1: the audit failed"), c("Ready", "False", "AuditFailed", summary)],
        findings: [finding],
        policyHash: "sha256:p1",
        featureset: failing.featureset,
        addedFeatures: ["avx512f"],
        removedFeatures: [],
        hostPolicyHash: "sha256:max1",
      },
      events: [{ type: "Warning", reason: "AuditFailed", action: "Audit", note: summary }],
      auditFailure: "AuditFailed",
      retry: false,
    });
  });

  it("a host change under an applied policy names the new max and keeps what the host holds", () => {
    const shrunk = evaluation({ findings: [finding], maxHash: "sha256:max2" });
    const d = decideStatus(applied, 1, audited(undefined, shrunk), t1);
    const m = `the host's guest max changed (now sha256:max2) and no longer admits this policy; ${summary}`;
    expect(cond(d.status, "Audited")).toEqual(c("Audited", "False", "HostPolicyChanged", m, t1));
    expect(d.events).toEqual([{ type: "Warning", reason: "HostPolicyChanged", action: "Audit", note: m }]);
    expect(d.status).toMatchObject({ appliedHash: "sha256:p1", activation: "Active", domainState: "paused", lastRequestId: "r1" });
  });

  it("failing against the same max it passed is AuditFailed, not a host change", () => {
    const d = decideStatus(applied, 1, audited(undefined, evaluation({ findings: [finding], policyHash: "sha256:p2" })), t1);
    expect(cond(d.status, "Audited")?.reason).toBe("AuditFailed");
  });

  it("a policy already failing stays AuditFailed when the max moves, and is reported again", () => {
    const d = decideStatus(undefined, 1, audited(undefined, failing), t0);
    const moved = decideStatus(d.status, 1, audited(undefined, evaluation({ findings: [finding], maxHash: "sha256:max2" })), t1);
    expect(cond(moved.status, "Audited")?.reason).toBe("AuditFailed");
    expect(moved.auditFailure).toBe("AuditFailed");
  });

  it("a different failing policy under the same max is reported again", () => {
    const d = decideStatus(undefined, 1, audited(undefined, failing), t0);
    expect(decideStatus(d.status, 1, audited(undefined, evaluation({ findings: [finding], policyHash: "sha256:p2" })), t1).auditFailure).toBe("AuditFailed");
  });

  it("the next generation of a policy failing after a host change is reported as AuditFailed", () => {
    const changed = decideStatus(applied, 1, audited(undefined, evaluation({ findings: [finding], maxHash: "sha256:max2" })), t1);
    const next = decideStatus(changed.status, 2, audited(undefined, evaluation({ findings: [finding], maxHash: "sha256:max2" })), t2);
    expect(cond(next.status, "Audited")?.reason).toBe("AuditFailed");
    expect(next.events.map((e) => e.reason)).toEqual(["AuditFailed"]);
  });

  it("a status without conditions counts as never audited", () => {
    const d = decideStatus({ observedGeneration: 1, policyHash: "sha256:p1", hostPolicyHash: "sha256:max0" }, 1, audited(undefined, failing), t0);
    expect(cond(d.status, "Audited")).toEqual(c("Audited", "False", "AuditFailed", summary));
    expect(d.auditFailure).toBe("AuditFailed");
  });

  it("the applied policy failing in a new generation is still on the host", () => {
    const d = decideStatus(applied, 2, audited(undefined, evaluation({ findings: [finding], maxHash: "sha256:max2" })), t1);
    expect(cond(d.status, "Applied")).toMatchObject({ status: "True", reason: "Applied" });
  });

  it("a host change while the host was unreachable is not on the host", () => {
    const down = decideStatus(applied, 1, audited({ kind: "unavailable", message: "timeout" }), t1);
    const d = decideStatus(down.status, 1, audited(undefined, evaluation({ findings: [finding], maxHash: "sha256:max2" })), t2);
    expect(cond(d.status, "Applied")).toMatchObject({ status: "False", reason: "NotAudited", message: "not sent to h1: the audit failed" });
  });
});
