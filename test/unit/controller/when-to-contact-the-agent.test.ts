// agentAction: a reconcile that passed the audit sends the policy unless the
// last status shows the agent confirmed this exact policy for this generation.

import { describe, expect, it } from "vitest";
import { agentAction } from "../../../controller/domain-policy/agent-action.ts";
import { decideStatus, type AgentOutcome } from "../../../controller/domain-policy/status.ts";
import { TRAVEL, evaluation, reply, t0, t1 } from "./status-fixture.ts";

const error: AgentOutcome = { kind: "error", code: "xen-error", message: "boom" };

describe("agentAction", () => {
  it("sends when there is no status yet", () => {
    expect(agentAction(undefined, 1, "sha256:p1")).toBe("set");
  });

  it("sends when the status has the hash and generation but no Applied condition", () => {
    expect(agentAction({ observedGeneration: 1, appliedHash: "sha256:p1", activation: "Active" }, 1, "sha256:p1")).toBe("set");
  });

  it("sends again after the agent failed, even for the same generation and applied hash", () => {
    const applied = decideStatus(undefined, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: reply("applied") }, t0).status;
    const failed = decideStatus(applied, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: error }, t1).status;
    expect(failed).toMatchObject({ observedGeneration: 1, appliedHash: "sha256:p1" });
    expect(agentAction(failed, 1, "sha256:p1")).toBe("set");
  });

  it("refreshes a staged policy and leaves an active one alone", () => {
    const staged = decideStatus(undefined, 1, { kind: "audited", travel: TRAVEL, evaluation: evaluation(), agent: reply("staged") }, t0).status;
    expect(agentAction(staged, 1, "sha256:p1")).toBe("refresh");
    expect(agentAction(staged, 1, "sha256:p2")).toBe("set");
    expect(agentAction(staged, 2, "sha256:p1")).toBe("set");
  });
});
