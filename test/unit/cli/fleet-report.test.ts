// The fleet report's model and page from recorded real CPUs: identical hosts
// share a group, "hidden by Xen" is what the CPU has and the guest max lacks,
// policies are grouped by Ready reason, and text from the cluster is escaped.

import { describe, expect, it } from "vitest";
import { renderFleetReportHtml } from "../../../cli/fleet-report/html.ts";
import { buildFleetReport, type ReportPolicyInput } from "../../../cli/fleet-report/model.ts";
import { HASWELL, SAPPHIRE_RAPIDS, hostPoliciesFrom } from "../controller/host-fixture.ts";

const policy = (name: string, readyReason: string | undefined, findings: string[] = []): ReportPolicyInput => ({ namespace: "ns", name, host: "h1", domain: "d", findings, readyReason });

describe("fleet report", () => {
  it("groups identical hosts and derives hidden-by-Xen from raw/host against the guest max", async () => {
    const hosts = [await hostPoliciesFrom("h2", HASWELL), await hostPoliciesFrom("h1", HASWELL), await hostPoliciesFrom("s1", SAPPHIRE_RAPIDS)];
    const report = buildFleetReport(hosts, []);
    expect(report.hostCount).toBe(3);
    expect(report.groups.map((g) => g.hosts)).toEqual([["h1", "h2"], ["s1"]]);
    const haswell = hosts[0].policies;
    const hidden = [...report.groups[0].states].filter(([, s]) => s === "hidden").map(([f]) => f);
    expect(hidden.length).toBeGreaterThan(0);
    for (const f of hidden) {
      expect(haswell.hvm_max.features).not.toContain(f);
      expect([...haswell.raw.features, ...haswell.host.features]).toContain(f);
    }
    expect(report.groups[0].states.get("avx2")).toBe("present");
    expect(report.groups[0].states.get("avx512f")).toBe("absent");
    expect(report.leaves.flatMap((l) => l.features)).toContain("avx512f");
  });

  it("groups policies by Ready reason, Unknown before the first reconcile", () => {
    const report = buildFleetReport([], [policy("b", "Applied"), policy("a", "Applied"), policy("c", "AuditFailed", ["x"]), policy("d", undefined)]);
    expect(report.policyCount).toBe(4);
    expect(Object.fromEntries([...report.policiesByState].map(([s, ps]) => [s, ps.map((p) => p.name)]))).toEqual({ Applied: ["a", "b"], AuditFailed: ["c"], Unknown: ["d"] });
  });

  it("escapes text from the cluster", () => {
    const html = renderFleetReportHtml(buildFleetReport([], [policy("p", "AuditFailed", ['<img src=x onerror="alert(1)">'])]), new Date(0));
    expect(html).not.toContain("<img");
    expect(html).toContain("&#60;img src=x onerror=&#34;alert(1)&#34;&#62;");
    expect(html).toContain('id="policy-count" data-count="1"');
  });
});
