// deploy/prometheus: the alert rules pass `promtool check rules`, and
// `promtool test rules` proves the alerts fire (and stay quiet) as intended.
// promtool is the pinned one (scripts/toolchain), built on first use.

import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBinaries } from "../../../scripts/toolchain/ensure.ts";
import { REPO_ROOT } from "../../support/fixtures.ts";

const run = promisify(execFile);
const RULE = join(REPO_ROOT, "deploy", "prometheus", "prometheus-rule.yaml");
const RULE_TESTS = join(REPO_ROOT, "deploy", "prometheus", "prometheus-rule.test.yaml");
/**
 * Room for a cold build of promtool: 7.6 CPU-minutes, 28 minutes measured on
 * a heavily loaded 2-core machine (BENCHMARKS.md); a cached one resolves at once.
 */
const PROVIDE_TIMEOUT_MS = 45 * 60_000;

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
    promtool = (await ensureBinaries(["promtool"])).promtool.path;
  }, PROVIDE_TIMEOUT_MS);

  it("passes promtool check rules", async () => {
    const dir = rulesDir();
    const { stdout } = await run(promtool, ["check", "rules", join(dir, "rules.yaml")]);
    expect(stdout).toContain("SUCCESS: 5 rules found");
  });

  it("passes promtool test rules", async () => {
    const dir = rulesDir();
    const { stdout } = await run(promtool, ["test", "rules", join(dir, "rules.test.yaml")]);
    expect(stdout).toContain("SUCCESS");
  });

  it("alerts on the metric the controller exports", () => {
    const rule = readFileSync(RULE, "utf8");
    expect(rule).toContain("cpuid_audit_failures_total");
    expect(rule).toContain('cpuid_hosts{state="stale"}');
  });
});
