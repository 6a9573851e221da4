// The `cpuidctl policy derive` / `policy show` JSON contract, through the real binary.

import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PolicyView } from "../../../shared/schemas/policy.ts";
import { FIXTURES_DIR } from "../../support/fixtures.ts";
import { REPO_ROOT } from "../../../devenv/repo-root.ts";

const BIN = join(REPO_ROOT, "bin", "cpuidctl");
const ALDER = join(FIXTURES_DIR, "xen-cpuid", "xen-cpuid-p_core-i5-12600k_alderlake.txt");
const ROME = join(FIXTURES_DIR, "cpuid-dumps", "amd", "rome-epyc-7402p.txt");
const NAMES = ["raw", "host", "pv_max", "pv_default", "hvm_max", "hvm_default"];

const run = (...args: string[]) => JSON.parse(execFileSync(BIN, args, { encoding: "utf8" }));

function expectShape(doc: Record<string, unknown>, policies: string[]) {
  expect(Object.keys(doc)).toEqual(["vendor", "family", "model", "stepping", "policies"]);
  for (const k of ["family", "model", "stepping"]) expect(doc[k]).toMatch(/^[0-9a-f]{2,}$/);
  const ps = doc.policies as Record<string, unknown>;
  expect(Object.keys(ps)).toEqual(policies);
  for (const n of policies) {
    const v = PolicyView.parse(ps[n]);
    expect(Object.keys(ps[n] as object)).toEqual(["featureset", "features", "leaves", "msrs"]);
    for (const l of v.leaves) for (const x of Object.values(l)) expect(x).toMatch(/^[0-9a-f]{8}$/);
    expect(v.msrs.map((m) => m.index)).toEqual(["000000ce", "0000010a"]);
    for (const m of v.msrs) expect(m.value).toMatch(/^[0-9a-f]{16}$/);
  }
}

describe("cpuidctl policy derive", () => {
  it("derives from xen-cpuid -p output, reproducing Xen's reported guest featuresets", () => {
    const derived = run("policy", "derive", ALDER, "-o", "json");
    const shown = run("policy", "show", ALDER, "-o", "json");
    expectShape(derived, NAMES);
    expect(derived).toMatchObject({ vendor: "intel", family: "06", model: "97", stepping: "02" });
    for (const n of NAMES) expect(derived.policies[n], n).toEqual(shown.policies[n]);
  }, 30_000);

  it("derives from a CPUID dump, with cpuid= applied", () => {
    const doc = run("policy", "derive", ROME, "--cmdline", "no-avx2", "-o", "json");
    expectShape(doc, NAMES);
    expect(doc).toMatchObject({ vendor: "amd", family: "17", model: "31" });
    expect(doc.policies.raw.features).toContain("avx2");
    for (const n of NAMES.slice(1)) expect(doc.policies[n].features, n).not.toContain("avx2");
  }, 30_000);

  it("rejects a bad cpuid= item with exit 2 and its column", () => {
    const r = spawnSync(BIN, ["policy", "derive", ROME, "--cmdline", "avx,no-avx2=1"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cpuid=:1:5:/);
  }, 30_000);
});
