import { describe, expect, it } from "vitest";
import { countFailingPolicies } from "../../../controller/domain-policy/failing-policies.ts";
import type { DomainCpuidPolicyObject } from "../../../shared/api/v1alpha1/domain-cpuid-policy.ts";

const at = "2026-11-26T10:00:00Z";

function policy(name: string, conditions: [type: string, status: "True" | "False" | "Unknown", reason: string][]): DomainCpuidPolicyObject {
  return {
    apiVersion: "cpuidfleet.io/v1alpha1",
    kind: "DomainCpuidPolicy",
    metadata: { name, namespace: "ns" },
    spec: undefined,
    status: { conditions: conditions.map(([type, status, reason]) => ({ type, status, reason, message: "", lastTransitionTime: at, observedGeneration: 1 })) },
  };
}

describe("countFailingPolicies", () => {
  it("counts the policies failing now by reason: audit failures, host changes, invalid specs and agent rejections", () => {
    const counts = countFailingPolicies([
      policy("clean", [["Audited", "True", "AuditPassed"], ["Applied", "True", "Applied"]]),
      policy("bad-1", [["Audited", "False", "AuditFailed"], ["Applied", "False", "NotAudited"]]),
      policy("bad-2", [["Audited", "False", "AuditFailed"], ["Applied", "False", "NotAudited"]]),
      policy("moved", [["Audited", "False", "HostPolicyChanged"], ["Applied", "True", "Applied"]]),
      policy("invalid", [["Audited", "False", "InvalidPolicy"]]),
      policy("refused", [["Audited", "True", "AuditPassed"], ["Applied", "False", "Rejected"]]),
      policy("down", [["Audited", "True", "AuditPassed"], ["Applied", "False", "HostUnavailable"]]),
      policy("unknown-host", [["Audited", "Unknown", "HostNotFound"], ["Applied", "Unknown", "HostNotFound"]]),
      policy("new", []),
    ]);
    expect(Object.fromEntries(counts)).toEqual({ AuditFailed: 2, HostPolicyChanged: 1, InvalidPolicy: 1, Rejected: 1 });
  });

  it("counts a policy once, by its audit reason, when it also carries an old rejection", () => {
    const counts = countFailingPolicies([policy("both", [["Audited", "False", "AuditFailed"], ["Applied", "False", "Rejected"]])]);
    expect(Object.fromEntries(counts)).toEqual({ AuditFailed: 1 });
  });
});
