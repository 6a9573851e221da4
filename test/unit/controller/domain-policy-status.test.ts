import { describe, expect, it } from "vitest";
import { agentAction } from "../../../controller/domain-policy/agent-action.ts";
import { decideStatus, type AgentOutcome } from "../../../controller/domain-policy/status.ts";
import type { AuditedEvaluation } from "../../../shared/domain-policy/evaluate.ts";
import { TRAVEL, cond, evaluation, finding, reply, t0, t1, t2 } from "./status-fixture.ts";

describe("decideStatus", () => {
  it("a spec.policy with repeated leaves is audited as merged (last wins) and gets one DuplicateLeaves warning per generation", () => {
    const warnings = ["leaf 0x00000001 is given more than once (records 2 and 41); the last one wins"];
    const first = decideStatus(undefined, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation({ warnings }), agent: reply("applied") }, t0);
    expect(cond(first.status, "Audited")).toMatchObject({ status: "True" });
    expect(first.events.filter((e) => e.reason === "DuplicateLeaves")).toEqual([{ type: "Warning", reason: "DuplicateLeaves", action: "Audit", note: `spec.policy: ${warnings[0]}` }]);
    const again = decideStatus(first.status, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation({ warnings }) }, t1);
    expect(again.events.filter((e) => e.reason === "DuplicateLeaves")).toEqual([]);
  });

  it("a clean policy applied by the agent is Audited, Applied and Ready, Active, with an Applied event", () => {
    const d = decideStatus(undefined, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: reply("applied") }, t0);
    expect(cond(d.status, "Audited")).toMatchObject({ status: "True", reason: "AuditPassed", observedGeneration: 1 });
    expect(cond(d.status, "Applied")).toMatchObject({ status: "True", reason: "Applied" });
    expect(cond(d.status, "Ready")).toMatchObject({ status: "True", reason: "Applied" });
    expect(d.status).toMatchObject({ observedGeneration: 1, policyHash: "sha256:p1", appliedHash: "sha256:p1", activation: "Active", hostPolicyHash: "sha256:max1", addedFeatures: ["avx512f"], lastRequestId: "r1" });
    expect(d.status.findings).toBeUndefined();
    expect(d.events.map((e) => e.reason)).toEqual(["Applied"]);
    expect(d.auditFailure).toBeUndefined();
    expect(d.retry).toBe(false);
    expect(agentAction(d.status, 1, "sha256:p1")).toBe("none");
    expect(agentAction(d.status, 1, "sha256:p2")).toBe("set");
    // a new generation with the same policy (say, moved to another domain) is sent again
    expect(agentAction(d.status, 2, "sha256:p1")).toBe("set");
  });

  it("a running domain gets Staged, refreshes later and turns Active when the domain restarted with it", () => {
    const staged = decideStatus(undefined, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: reply("staged") }, t0);
    expect(staged.status.activation).toBe("Staged");
    expect(cond(staged.status, "Applied")).toMatchObject({ status: "True", reason: "Staged" });
    expect(staged.events.map((e) => e.reason)).toEqual(["Staged"]);
    expect(agentAction(staged.status, 1, "sha256:p1")).toBe("refresh");

    const still = decideStatus(staged.status, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: { kind: "domain", info: { domain: "vm1", state: "running", stagedHash: "sha256:p1" } } }, t1);
    expect(still.status).toEqual(staged.status);
    expect(still.events).toEqual([]);

    const active = decideStatus(staged.status, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: { kind: "domain", info: { domain: "vm1", state: "running", activeHash: "sha256:p1" } } }, t2);
    expect(active.status.activation).toBe("Active");
    expect(cond(active.status, "Applied")?.reason).toBe("Applied");
    expect(active.events.map((e) => e.reason)).toEqual(["Applied"]);
  });

  it("a policy outside the host's max fails the audit once: findings, Warning event, one metric increment", () => {
    const ev = evaluation({ findings: [finding] });
    const d = decideStatus(undefined, 1, { kind: "audited", travel: TRAVEL, evaluation: ev }, t0);
    expect(cond(d.status, "Audited")).toMatchObject({ status: "False", reason: "AuditFailed" });
    expect(cond(d.status, "Audited")?.message).toContain("avx512f");
    expect(cond(d.status, "Applied")).toMatchObject({ status: "False", reason: "NotAudited" });
    expect(cond(d.status, "Ready")).toMatchObject({ status: "False", reason: "AuditFailed" });
    expect(d.status.findings).toEqual([finding]);
    expect(d.events).toEqual([expect.objectContaining({ type: "Warning", reason: "AuditFailed" })]);
    expect(d.auditFailure).toBe("AuditFailed");

    const again = decideStatus(d.status, 1, { kind: "audited", travel: TRAVEL, evaluation: ev }, t1);
    expect(again.status).toEqual(d.status);
    expect(again.events).toEqual([]);
    expect(again.auditFailure).toBeUndefined();
  });

  it("a host whose max shrinks under an applied policy gives HostPolicyChanged and keeps Applied (the domain still has it)", () => {
    const ok = decideStatus(undefined, 2, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: reply("applied") }, t0);
    // a default-based policy follows the host, so its own hash moves too
    const shrunk = evaluation({ findings: [finding], maxHash: "sha256:max2", policyHash: "sha256:p1-on-max2" });
    const d = decideStatus(ok.status, 2, { kind: "audited", travel: TRAVEL, evaluation: shrunk }, t1);
    expect(cond(d.status, "Audited")).toMatchObject({ status: "False", reason: "HostPolicyChanged", lastTransitionTime: "2026-11-26T10:01:00Z" });
    expect(cond(d.status, "Applied")).toMatchObject({ status: "True", reason: "Applied" });
    expect(cond(d.status, "Ready")).toMatchObject({ status: "False", reason: "HostPolicyChanged" });
    expect(d.auditFailure).toBe("HostPolicyChanged");
    expect(d.status.hostPolicyHash).toBe("sha256:max2");
    // stays HostPolicyChanged (not AuditFailed) on later reconciles, without re-reporting
    const later = decideStatus(d.status, 2, { kind: "audited", travel: TRAVEL, evaluation: shrunk }, t2);
    expect(cond(later.status, "Audited")?.reason).toBe("HostPolicyChanged");
    expect(later.auditFailure).toBeUndefined();
  });

  it("a new generation that fails is AuditFailed, not HostPolicyChanged", () => {
    const ok = decideStatus(undefined, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: reply("applied") }, t0);
    const d = decideStatus(ok.status, 2, { kind: "audited", travel: TRAVEL, evaluation: evaluation({ policyHash: "sha256:p2", findings: [finding], maxHash: "sha256:max2" }) }, t1);
    expect(cond(d.status, "Audited")?.reason).toBe("AuditFailed");
    expect(cond(d.status, "Applied")?.reason).toBe("NotAudited");
  });

  it("an unreachable host gives Applied=False HostUnavailable, Pending, a retry, and one event per outage", () => {
    const d = decideStatus(undefined, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: { kind: "unavailable", message: "no responders for cpuid.v1.host.h1.set" } }, t0);
    expect(cond(d.status, "Applied")).toMatchObject({ status: "False", reason: "HostUnavailable" });
    expect(cond(d.status, "Ready")).toMatchObject({ status: "False", reason: "HostUnavailable" });
    expect(d.status.activation).toBe("Pending");
    expect(d.retry).toBe(true);
    expect(d.events.map((e) => e.reason)).toEqual(["HostUnavailable"]);
    const again = decideStatus(d.status, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: { kind: "unavailable", message: "no responders for cpuid.v1.host.h1.set" } }, t1);
    expect(again.events).toEqual([]);
    expect(again.status).toEqual(d.status);
    const back = decideStatus(again.status, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: reply("applied") }, t2);
    expect(cond(back.status, "Ready")).toMatchObject({ status: "True", lastTransitionTime: "2026-11-26T10:02:00Z" });
  });

  it("a request unanswered while the controller's NATS connection blinked keeps an applied or staged policy as it was, without events", () => {
    const transport: AgentOutcome = { kind: "transport", message: "the host's agent did not answer on cpuid.v1.host.h1.get within 1000 ms" };
    for (const result of ["applied", "staged"] as const) {
      const held = decideStatus(undefined, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: reply(result) }, t0);
      const d = decideStatus(held.status, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: transport }, t1);
      expect(d.status).toEqual(held.status);
      expect(d.events).toEqual([]);
      expect(d.retry).toBe(true);
    }
  });

  it("a policy the host does not hold yet is Unknown (Reconnecting), not HostUnavailable, while the controller's NATS connection blinks", () => {
    const transport: AgentOutcome = { kind: "transport", message: "no agent answers on cpuid.v1.host.h1.set" };
    const held = decideStatus(undefined, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: reply("applied") }, t0);
    const changed = decideStatus(held.status, 2, { kind: "audited", travel: TRAVEL, evaluation: evaluation({ policyHash: "sha256:p2" }), agent: transport }, t1);
    expect(cond(changed.status, "Applied")).toMatchObject({ status: "Unknown", reason: "Reconnecting" });
    expect(cond(changed.status, "Ready")).toMatchObject({ status: "Unknown", reason: "Reconnecting" });
    expect(changed.status.activation).toBe("Pending");
    expect(changed.events).toEqual([]);
    const fresh = decideStatus(undefined, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: transport }, t0);
    expect(cond(fresh.status, "Applied")).toMatchObject({ status: "Unknown", reason: "Reconnecting" });
    expect(fresh.events).toEqual([]);
  });

  it("an agent rejection reports the agent's findings and retries", () => {
    const d = decideStatus(undefined, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: reply("rejected", { maxHash: "sha256:max9" }) }, t0);
    expect(cond(d.status, "Applied")).toMatchObject({ status: "False", reason: "Rejected" });
    expect(d.status.findings).toEqual([finding]);
    expect(d.auditFailure).toBe("Rejected");
    expect(d.retry).toBe(true);
  });

  it("an unknown host, a missing pool or a pool without a level leave Audited, Applied and Migratable Unknown, silently", () => {
    const d = decideStatus(undefined, 1, { kind: "host-not-found", hostId: "h9", travel: TRAVEL }, t0);
    expect(cond(d.status, "Audited")).toMatchObject({ status: "Unknown", reason: "HostNotFound" });
    expect(cond(d.status, "Ready")).toMatchObject({ status: "Unknown", reason: "HostNotFound" });
    for (const reason of ["PoolNotFound", "PoolNotReady"] as const) {
      const p = decideStatus(undefined, 1, { kind: "pool-unavailable", reason, message: "CpuidPool p1 does not exist" }, t0);
      for (const type of ["Audited", "Applied", "Migratable", "Ready"]) expect(cond(p.status, type)).toMatchObject({ status: "Unknown", reason, message: "CpuidPool p1 does not exist" });
      expect(p.events).toEqual([]);
      expect(p.auditFailure).toBeUndefined();
    }
  });

  it("a pool levelled for the other guest type fails the audit once, with a Warning event, and nothing is sent", () => {
    const outcome = { kind: "pool-unavailable", reason: "PoolGuestTypeMismatch", message: "CpuidPool p1 is levelled for pv guests and this policy is for hvm guests" } as const;
    const d = decideStatus(undefined, 1, outcome, t0);
    expect(cond(d.status, "Audited")).toMatchObject({ status: "False", reason: "PoolGuestTypeMismatch", message: outcome.message });
    expect(cond(d.status, "Applied")).toMatchObject({ status: "False", reason: "NotAudited" });
    expect(d.events).toEqual([{ type: "Warning", reason: "PoolGuestTypeMismatch", action: "Audit", note: outcome.message }]);
    expect(d.auditFailure).toBe("PoolGuestTypeMismatch");
    const again = decideStatus(d.status, 1, outcome, t1);
    expect(again.events).toEqual([]);
    expect(again.auditFailure).toBeUndefined();
  });

  it("Migratable: baseline pool is True only when every member accepts; other baselines when some other host does", () => {
    const hosts = { count: 3, hosts: ["h1", "h2", "h3"] };
    const pool = { pool: "p1", levelHash: "sha256:l1", members: 3, count: 3, hosts: ["h1", "h2", "h3"], refusing: [] };
    const wide = decideStatus(undefined, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), accepting: { hosts, others: 2, pool } }, t0);
    expect(cond(wide.status, "Migratable")).toMatchObject({ status: "True", reason: "PoolWide", message: "all 3 members of CpuidPool p1 accept the effective policy" });
    expect(wide.status.poolAcceptance).toEqual(pool);
    expect(wide.status.acceptingHosts).toEqual(hosts);
    const narrow = decideStatus(undefined, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), accepting: { hosts, others: 2, pool: { ...pool, count: 1, hosts: ["h1"], refusing: ["h4", "h5"] } } }, t0);
    expect(cond(narrow.status, "Migratable")).toMatchObject({ status: "False", reason: "NotPoolWide", message: "1 of the 3 members of CpuidPool p1 accept the effective policy; refusing: h4, h5" });
    const empty = decideStatus(undefined, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), accepting: { hosts, others: 2, pool: { ...pool, members: 0, count: 0, hosts: [] } } }, t0);
    expect(cond(empty.status, "Migratable")).toMatchObject({ status: "False", reason: "NotPoolWide" });
    const others = decideStatus(undefined, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), accepting: { hosts, others: 1 } }, t0);
    expect(cond(others.status, "Migratable")).toMatchObject({ status: "True", reason: "OtherHostsAccept", message: "1 other host accepts the effective policy" });
    const alone = decideStatus(undefined, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation({ findings: [finding] }), accepting: { hosts: { count: 1, hosts: ["h1"] }, others: 0 } }, t0);
    expect(cond(alone.status, "Migratable")).toMatchObject({ status: "False", reason: "NoOtherHost" });
    expect(cond(decideStatus(undefined, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation() }, t0).status, "Migratable")).toBeUndefined();
  });

  it("an invalid spec.policy is reported once", () => {
    const d = decideStatus(undefined, 1, { kind: "invalid-policy", message: "spec.policy: leaf 0x7 subleaf 0x5 out of range" }, t0);
    expect(cond(d.status, "Audited")).toMatchObject({ status: "False", reason: "InvalidPolicy" });
    expect(d.auditFailure).toBe("InvalidPolicy");
    const again = decideStatus(d.status, 1, { kind: "invalid-policy", message: "spec.policy: leaf 0x7 subleaf 0x5 out of range" }, t1);
    expect(again.auditFailure).toBeUndefined();
    expect(again.status).toEqual(d.status);
  });
});

describe("decideStatus on a conflict", () => {
  it("reports Conflict once and sends nothing", () => {
    const outcome = { kind: "conflict", host: "h1", domain: "vm1", owner: "ns/older", travel: TRAVEL } as const;
    const d = decideStatus(undefined, 1, outcome, t0);
    expect(cond(d.status, "Applied")).toMatchObject({ status: "False", reason: "Conflict" });
    expect(cond(d.status, "Ready")).toMatchObject({ status: "Unknown", reason: "Conflict" });
    expect(cond(d.status, "Applied")?.message).toContain("ns/older");
    expect(d.events.map((e) => e.reason)).toEqual(["Conflict"]);
    expect(decideStatus(d.status, 1, outcome, t1).events).toEqual([]);
  });
});

describe("decideStatus on a move (spec.host changed, nothing else)", () => {
  const carried = { policyHash: "sha256:p1", policy: { leaves: [], msrs: [] }, from: "h1" };
  const moved = { host: "h2", requestDigest: "sha256:r1", carried };
  const onH2 = (over: Partial<AuditedEvaluation> = {}) => evaluation({ maxHash: "sha256:max2", ...over });

  it("a carried policy that fits the destination is MoveSafe, keeps its hash and is applied there; the old host's state is dropped", () => {
    const before = decideStatus(undefined, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: reply("applied") }, t0);
    const d = decideStatus(before.status, 2, { kind: "audited", travel: moved, evaluation: onH2(), agent: reply("applied", { hostId: "h2" }) }, t1);
    expect(cond(d.status, "Audited")).toMatchObject({ status: "True", reason: "MoveSafe" });
    expect(cond(d.status, "Audited")?.message).toContain("from h1");
    expect(d.status).toMatchObject({ host: "h2", movedFrom: "h1", policyHash: "sha256:p1", carriedPolicy: carried.policy, appliedHash: "sha256:p1" });
    expect(d.events.map((e) => e.reason)).toEqual(["Applied"]);
  });

  it("a carried policy that does not fit is MoveUnsafe with its findings, and the old host's Applied does not carry over", () => {
    const before = decideStatus(undefined, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: reply("applied") }, t0);
    const d = decideStatus(before.status, 2, { kind: "audited", travel: moved, evaluation: onH2({ findings: [finding] }) }, t1);
    expect(cond(d.status, "Audited")).toMatchObject({ status: "False", reason: "MoveUnsafe" });
    expect(cond(d.status, "Applied")).toMatchObject({ status: "False", reason: "NotAudited" });
    expect(d.status.findings).toEqual([finding]);
    expect(d.status.appliedHash).toBeUndefined();
    expect(d.status.carriedPolicy).toEqual(carried.policy);
    expect(d.auditFailure).toBe("MoveUnsafe");
  });

  it("a destination not published yet keeps the carried policy, so the move resumes when it is", () => {
    const d = decideStatus(undefined, 2, { kind: "host-not-found", hostId: "h2", travel: moved }, t0);
    expect(d.status).toMatchObject({ host: "h2", policyHash: "sha256:p1", carriedPolicy: carried.policy, movedFrom: "h1" });
  });

  it("a policy that cannot be carried keeps everything recorded about the old host and retries", () => {
    const before = decideStatus(undefined, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: reply("applied") }, t0);
    const d = decideStatus(before.status, 2, { kind: "not-carried", message: "h1 has not published" }, t1);
    expect(cond(d.status, "Audited")).toMatchObject({ status: "Unknown", reason: "PolicyNotCarried" });
    expect(cond(d.status, "Applied")).toEqual(cond(before.status, "Applied"));
    expect(d.status).toMatchObject({ host: "h1", policyHash: "sha256:p1", appliedHash: "sha256:p1" });
    expect(d.retry).toBe(true);
    expect(d.events.map((e) => e.reason)).toEqual(["PolicyNotCarried"]);
    expect(decideStatus(d.status, 2, { kind: "not-carried", message: "h1 has not published" }, t2).events).toEqual([]);
  });
});
