// deploy/prometheus: the alert rules pass `promtool check rules`,
// `promtool test rules` proves the alerts fire (and stay quiet) as intended,
// every metric they use is one the controller or the agent exports, and the
// PrometheusRule stays out of the local overlay (a cluster without the
// Prometheus Operator) as a kustomize component added only where wanted.
// promtool is the pinned one (devenv/toolchain), built on first use.

import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { parse, parseAllDocuments, stringify } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { LEASE_NAMESPACE } from "../../../devenv/daemons/controller.ts";
import { ensureNamespace, kubectlOk } from "../../e2e/fleet.ts";
import { PROMTOOL_TIMEOUT_MS, cpuidMetricNames, daemonSeriesNames, ensurePromtool } from "./prometheus-support.ts";
import { REPO_ROOT } from "../../../devenv/repo-root.ts";

const run = promisify(execFile);
const RULE = join(REPO_ROOT, "deploy", "prometheus", "prometheus-rule.yaml");
const RULE_TESTS = join(REPO_ROOT, "deploy", "prometheus", "prometheus-rule.test.yaml");
const ALERTS = [
  "CpuidAuditFailures",
  "CpuidNewAuditFailures",
  "CpuidHostPolicyChanged",
  "CpuidDomainPoliciesNotReady",
  "CpuidHostStale",
  "CpuidWorkqueueBacklog",
  "CpuidNoLeader",
  "CpuidControllerNatsDisconnected",
  "CpuidAgentNatsDisconnected",
  "CpuidXenVerificationMismatch",
  "CpuidPoolLevelChanged",
  "CpuidPoolIncompatibleHosts",
  "CpuidRolloutHalted",
];

interface Rule {
  alert: string;
  expr: string;
}

function rules(): Rule[] {
  const rule = parse(readFileSync(RULE, "utf8")) as { spec: { groups: { rules: Rule[] }[] } };
  return rule.spec.groups.flatMap((g) => g.rules);
}

/** Kinds of the objects `kubectl kustomize <dir>` renders. */
async function renderedKinds(dir: string): Promise<string[]> {
  return parseAllDocuments(await kubectlOk(["kustomize", dir])).map((d) => (d.toJS() as { kind: string }).kind);
}

function rulesDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "cpuid-rules-"));
  const rule = parse(readFileSync(RULE, "utf8")) as { kind: string; spec: { groups: unknown[] } };
  expect(rule.kind).toBe("PrometheusRule");
  writeFileSync(join(dir, "rules.yaml"), stringify({ groups: rule.spec.groups }));
  copyFileSync(RULE_TESTS, join(dir, "rules.test.yaml"));
  return dir;
}

describe("PrometheusRule", () => {
  let promtool: string;
  beforeAll(async () => {
    promtool = await ensurePromtool();
  }, PROMTOOL_TIMEOUT_MS);

  it("passes promtool check rules", async () => {
    const dir = rulesDir();
    const { stdout } = await run(promtool, ["check", "rules", join(dir, "rules.yaml")]);
    expect(stdout).toContain(`SUCCESS: ${ALERTS.length} rules found`);
  });

  it("passes promtool test rules, with a firing and a silent case for every alert", async () => {
    const dir = rulesDir();
    const { stdout } = await run(promtool, ["test", "rules", join(dir, "rules.test.yaml")]);
    expect(stdout).toContain("SUCCESS");
    const tests = parse(readFileSync(RULE_TESTS, "utf8")) as { tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[] };
    const cases = tests.tests.flatMap((t) => t.alert_rule_test);
    expect(rules().map((r) => r.alert)).toEqual(ALERTS);
    for (const alert of ALERTS) {
      expect(cases.some((c) => c.alertname === alert && c.exp_alerts.length > 0), `${alert} fires in a test`).toBe(true);
      expect(cases.some((c) => c.alertname === alert && c.exp_alerts.length === 0), `${alert} stays silent in a test`).toBe(true);
    }
  });

  it("alerts only on metrics the controller or the agent exports", async () => {
    const exported = await daemonSeriesNames();
    for (const { alert, expr } of rules()) {
      const used = cpuidMetricNames(expr);
      expect(used.length, alert).toBeGreaterThan(0);
      for (const name of used) expect(exported, `${alert} uses ${name}`).toContain(name);
    }
  });
});

describe("deploy overlays", () => {
  it("the local overlay leaves the PrometheusRule out and passes a server-side dry run on a cluster without the Prometheus Operator", async () => {
    const overlay = join(REPO_ROOT, "deploy", "overlays", "local");
    expect(await renderedKinds(overlay)).not.toContain("PrometheusRule");
    await ensureNamespace(LEASE_NAMESPACE);
    const out = await kubectlOk(["apply", "--dry-run=server", "-k", overlay]);
    expect(out).toMatch(/deployment\.apps\/cpuid-fleet-controller .*\(server dry run\)/);
  });

  it("the prometheus component adds the PrometheusRule, in the controller's namespace, to an overlay that asks for it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cpuid-overlay-"));
    writeFileSync(
      join(dir, "kustomization.yaml"),
      stringify({ apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources: [relative(dir, join(REPO_ROOT, "deploy", "base"))], components: [relative(dir, join(REPO_ROOT, "deploy", "prometheus"))] }),
    );
    const objects = parseAllDocuments(await kubectlOk(["kustomize", dir])).map((d) => d.toJS() as { kind: string; metadata: { namespace?: string }; spec: unknown });
    const rule = objects.find((o) => o.kind === "PrometheusRule");
    expect(rule?.metadata.namespace).toBe("cpuid-fleet-system");
    expect(rule?.spec).toEqual((parse(readFileSync(RULE, "utf8")) as { spec: unknown }).spec);
  });
});
