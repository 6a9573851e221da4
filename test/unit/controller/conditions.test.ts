import { describe, expect, it } from "vitest";
import { findCondition, isConditionTrue, setCondition } from "../../../controller/status/conditions.ts";

const t0 = new Date("2026-11-26T10:00:00.123Z");
const t1 = new Date("2026-11-26T10:05:00.000Z");

describe("setCondition", () => {
  it("adds a condition with the transition time in whole seconds", () => {
    const list = setCondition(undefined, { type: "Audited", status: "True", reason: "AuditPassed", message: "ok" }, 3, t0);
    expect(list).toEqual([
      { type: "Audited", status: "True", reason: "AuditPassed", message: "ok", observedGeneration: 3, lastTransitionTime: "2026-11-26T10:00:00Z" },
    ]);
  });

  it("keeps lastTransitionTime when only reason, message or generation change", () => {
    const a = setCondition(undefined, { type: "Applied", status: "False", reason: "HostUnavailable", message: "x" }, 1, t0);
    const b = setCondition(a, { type: "Applied", status: "False", reason: "AgentError", message: "y" }, 2, t1);
    expect(b[0]).toMatchObject({ reason: "AgentError", message: "y", observedGeneration: 2, lastTransitionTime: "2026-11-26T10:00:00Z" });
  });

  it("moves lastTransitionTime on a status change and keeps the order of other conditions", () => {
    let list = setCondition(undefined, { type: "Audited", status: "True", reason: "AuditPassed", message: "" }, 1, t0);
    list = setCondition(list, { type: "Applied", status: "True", reason: "Applied", message: "" }, 1, t0);
    list = setCondition(list, { type: "Audited", status: "False", reason: "HostPolicyChanged", message: "" }, 1, t1);
    expect(list.map((c) => c.type)).toEqual(["Audited", "Applied"]);
    expect(findCondition(list, "Audited")?.lastTransitionTime).toBe("2026-11-26T10:05:00Z");
    expect(isConditionTrue(list, "Applied")).toBe(true);
    expect(isConditionTrue(list, "Audited")).toBe(false);
  });
});
