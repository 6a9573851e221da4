// The fleet report's model and page from recorded real CPUs: identical hosts
// share a group, "hidden by Xen" is what the CPU has and the guest max lacks,
// policies are grouped by Ready reason, pools show their level and limiting
// hosts (hosts removing the same features on one line), long host lists are
// cut, and text from the cluster is escaped.

import { describe, expect, it } from "vitest";
import { renderFleetReportHtml } from "../../../cli/fleet-report/html.ts";
import { buildFleetReport, type ReportPolicyInput, type ReportPool } from "../../../cli/fleet-report/model.ts";
import { HASWELL, SAPPHIRE_RAPIDS, hostPoliciesFrom } from "../controller/host-fixture.ts";

const policy = (name: string, readyReason: string | undefined, findings: string[] = []): ReportPolicyInput => ({ namespace: "ns", name, host: "h1", domain: "d", findings, readyReason });

describe("fleet report", () => {
  it("groups identical hosts and derives hidden-by-Xen from raw/host against the guest max", async () => {
    const hosts = [await hostPoliciesFrom("h2", HASWELL), await hostPoliciesFrom("h1", HASWELL), await hostPoliciesFrom("s1", SAPPHIRE_RAPIDS)];
    const report = buildFleetReport(hosts, [], []);
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
    const report = buildFleetReport([], [policy("b", "Applied"), policy("a", "Applied"), policy("c", "AuditFailed", ["x"]), policy("d", undefined)], []);
    expect(report.policyCount).toBe(4);
    expect(Object.fromEntries([...report.policiesByState].map(([s, ps]) => [s, ps.map((p) => p.name)]))).toEqual({ Applied: ["a", "b"], AuditFailed: ["c"], Unknown: ["d"] });
  });

  it("escapes text from the cluster", () => {
    const html = renderFleetReportHtml(buildFleetReport([], [policy("p", "AuditFailed", ['<img src=x onerror="alert(1)">'])], []), new Date(0));
    expect(html).not.toContain("<img");
    expect(html).toContain("&#60;img src=x onerror=&#34;alert(1)&#34;&#62;");
    expect(html).toContain('id="policy-count" data-count="1"');
  });

  it("shows each pool's level and limiting hosts, hosts that remove the same features on one line", () => {
    const hosts = Array.from({ length: 9 }, (_, i) => `h${i}`);
    const pool = (name: string, over: Partial<ReportPool>): ReportPool => ({
      name,
      guestType: "hvm",
      levelPolicy: "Pinned",
      ready: "True",
      readyMessage: "",
      members: hosts,
      level: { featureCount: 70, hash: `sha256:${"ab".repeat(32)}` },
      limitingHosts: [],
      incompatibleHosts: [],
      ...over,
    });
    const report = buildFleetReport([], [], [
      pool("intel", { limitingHosts: [...hosts.slice(0, 8).map((host) => ({ host, removes: ["avx512f", "avx512bw"] })), { host: "h8", removes: Array.from({ length: 14 }, (_, i) => `f${i}`) }] }),
      pool("amd", { ready: "False", readyMessage: "no members", members: [], level: undefined, incompatibleHosts: [{ host: "x1", missing: ["sha"] }] }),
    ]);
    expect(report.pools.map((p) => p.name)).toEqual(["amd", "intel"]);
    const html = renderFleetReportHtml(report, new Date(0));
    expect(html).toContain('id="pool-count" data-count="2"');
    const intel = /<tr class="pool" data-pool="intel"[^]*?<\/tr>/.exec(html)![0];
    expect(intel).toContain('<span class="pool-members" data-count="9">9</span> host(s): h0, h1, h2, h3, h4, h5 <span class="more">… and 3 more</span>');
    expect(intel).toContain(`<span data-count="70">70</span> features, hash <code title="sha256:${"ab".repeat(32)}">sha256:${"ab".repeat(6)}</code>`);
    expect(intel).toContain('<li>h0, h1, h2, h3, h4, h5 <span class="more">… and 2 more</span> (8 hosts): removes 2: avx512f, avx512bw</li><li>h8: removes 14: f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11 <span class="more" title="f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13">… and 2 more</span></li>');
    const amd = /<tr class="pool" data-pool="amd"[^]*?<\/tr>/.exec(html)![0];
    expect(amd).toContain("not ready: no members");
    expect(amd).toContain("<li>x1: lacks sha</li>");
  });

  it("says when there are no pools or rollouts", () => {
    const html = renderFleetReportHtml(buildFleetReport([], [], []), new Date(0));
    expect(html).toContain("<p>No CpuidPools.</p>");
    expect(html).toContain("<p>No CpuidRollouts.</p>");
  });

  it("shows each rollout's change, state, wave and counts; a halted one stands out", () => {
    const counts = { applied: 3, staged: 5, failed: 2, progressing: 0, pending: 10, deleted: 0 };
    const html = renderFleetReportHtml(
      buildFleetReport([], [], [], [
        { name: "vmx", change: { enable: ["vmx"], disable: [] }, state: "Halted", halted: true, wave: 2, waveCount: 4, counts },
        { name: "a-off", change: { enable: [], disable: ["rdrand"] }, state: "Complete", halted: false, wave: 1, waveCount: 1, counts: { ...counts, failed: 0 } },
      ]),
      new Date(0),
    );
    expect(html).toContain('<b id="rollout-count" data-count="2">2</b>');
    const vmx = /<tr class="rollout" data-rollout="vmx">[^]*?<\/tr>/.exec(html)![0];
    expect(vmx).toContain("<td>+vmx</td>");
    expect(vmx).toContain("halted (Halted)");
    expect(vmx).toContain("<td>2 of 4</td><td>3</td><td>5</td><td>2</td><td>0</td><td>10</td><td>0</td>");
    // by name
    expect(html.indexOf('data-rollout="a-off"')).toBeLessThan(html.indexOf('data-rollout="vmx"'));
  });
});
