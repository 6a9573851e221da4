// deploy/grafana/cpuid-fleet.json: generated from scripts/grafana/dashboard.ts,
// every query (panel targets and the host variable's) is valid PromQL by
// `promtool check rules` (as recording rules, Grafana's variables replaced by
// values of their kind), uses only metrics the controller or the agent
// exports, and every metric an alert fires on is graphed.

import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../../devenv/repo-root.ts";
import { PROMTOOL_TIMEOUT_MS, cpuidMetricNames, daemonSeriesNames, ensurePromtool } from "./prometheus-support.ts";

const run = promisify(execFile);
const DASHBOARD = join(REPO_ROOT, "deploy", "grafana", "cpuid-fleet.json");
const RULE = join(REPO_ROOT, "deploy", "prometheus", "prometheus-rule.yaml");
/** Grafana's built-in interval variables, as the durations Grafana would put in */
const BUILTINS: Record<string, string> = { __rate_interval: "5m", __interval: "1m", __range: "6h" };
/** a multi-value variable with an "All" of `.*`, valid inside a regex matcher */
const MULTI_VALUE = ".*";

interface Target {
  expr: string;
  refId: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: Target[];
}
interface Variable {
  name: string;
  type: string;
  definition?: string;
  datasource?: { uid: string };
}
interface Dashboard {
  panels: Panel[];
  templating: { list: Variable[] };
}

function dashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD, "utf8")) as Dashboard;
}

/** every query of the dashboard, named by where it is */
function queries(d: Dashboard): { where: string; expr: string }[] {
  const panels = d.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel ${p.id} "${p.title}" ${t.refId}`, expr: t.expr })));
  const variables = d.templating.list
    .filter((v) => v.type === "query")
    .map((v) => {
      const m = /^label_values\((.+),\s*\w+\)$/.exec(v.definition ?? "");
      expect(m, `variable ${v.name}: label_values(<selector>, <label>)`).not.toBeNull();
      return { where: `variable ${v.name}`, expr: m![1] };
    });
  return [...panels, ...variables];
}

/** the expression with Grafana's variables replaced; a variable the dashboard does not define is an error */
function substitute(expr: string, d: Dashboard, where: string): string {
  const defined = new Set(d.templating.list.map((v) => v.name));
  return expr.replace(/\$\{?(\w+)\}?/g, (_, name: string) => {
    if (Object.hasOwn(BUILTINS, name)) return BUILTINS[name];
    expect(defined, `${where} uses $${name}`).toContain(name);
    return MULTI_VALUE;
  });
}

describe("Grafana dashboard", () => {
  let promtool: string;
  beforeAll(async () => {
    promtool = await ensurePromtool();
  }, PROMTOOL_TIMEOUT_MS);

  it("is what scripts/gen-dashboard.ts generates", () => {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, "scripts", "gen-dashboard.ts"), "--check"], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("takes its data source from a variable in every panel and query variable", () => {
    const d = dashboard();
    expect(d.templating.list.find((v) => v.name === "datasource")?.type).toBe("datasource");
    const users = [...d.panels.filter((p) => p.type !== "row"), ...d.templating.list.filter((v) => v.type === "query")];
    for (const user of users) expect(user.datasource?.uid, JSON.stringify(user).slice(0, 80)).toBe("${datasource}");
  });

  it("has queries that pass promtool check rules", async () => {
    const d = dashboard();
    const all = queries(d);
    const rules = all.map(({ where, expr }, i) => ({ record: `dashboard:query_${i}`, expr: substitute(expr, d, where) }));
    const dir = mkdtempSync(join(tmpdir(), "cpuid-dashboard-"));
    writeFileSync(join(dir, "rules.yaml"), stringify({ groups: [{ name: "dashboard", rules }] }));
    const { stdout } = await run(promtool, ["check", "rules", join(dir, "rules.yaml")]);
    expect(stdout).toContain(`SUCCESS: ${all.length} rules found`);
  });

  it("queries only metrics the controller or the agent exports", async () => {
    const exported = await daemonSeriesNames();
    for (const { where, expr } of queries(dashboard())) {
      const used = cpuidMetricNames(expr);
      expect(used.length, where).toBeGreaterThan(0);
      for (const name of used) expect(exported, `${where} uses ${name}`).toContain(name);
    }
  });

  it("graphs every metric an alert fires on", () => {
    const graphed = new Set(queries(dashboard()).flatMap(({ expr }) => cpuidMetricNames(expr)));
    const rule = parse(readFileSync(RULE, "utf8")) as { spec: { groups: { rules: { alert: string; expr: string }[] }[] } };
    for (const { alert, expr } of rule.spec.groups.flatMap((g) => g.rules)) {
      for (const name of cpuidMetricNames(expr)) expect(graphed, `${alert}'s ${name}`).toContain(name);
    }
  });
});
