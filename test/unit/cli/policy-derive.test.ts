// The `cpuidctl policy derive` / `policy show` JSON contract, through the real binary.

import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PolicyView } from "../../../shared/schemas/policy.ts";
import { FIXTURES_DIR } from "../../../devenv/fixtures.ts";
import { REPO_ROOT } from "../../../devenv/repo-root.ts";

const BIN = join(REPO_ROOT, "bin", "cpuidctl");
const ALDER = join(FIXTURES_DIR, "xen-cpuid", "xen-cpuid-p_core-i5-12600k_alderlake.txt");
const ROME = join(FIXTURES_DIR, "cpuid-dumps", "amd", "rome-epyc-7402p.txt");
const NAMES = ["raw", "host", "pv_max", "pv_default", "hvm_max", "hvm_default"];

const run = (...args: string[]) => JSON.parse(execFileSync(BIN, args, { encoding: "utf8" }));

function expectShape(doc: Record<string, unknown>, policies: string[]) {
  expect(Object.keys(doc)).toEqual(["vendor", "family", "model", "stepping", "policies", "xenRelease"]);
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

  it("--xen-version 4.17 applies that release's rules (fa2d831803, cd8fc0e9f3, 4f8b0e94d7, 0cd50753eb) and says so", () => {
    const leaf = (doc: { policies: Record<string, { leaves: Record<string, string>[] }> }, policy: string, id: string) =>
      doc.policies[policy].leaves.find((l) => l.leaf === id);
    const alder = { r417: run("policy", "derive", ALDER, "--xen-version", "4.17", "-o", "json"), master: run("policy", "derive", ALDER, "-o", "json") };
    expect([alder.r417.xenRelease, alder.master.xenRelease]).toEqual(["4.17", "master"]);
    // 4.17 keeps the host's max extended leaf in guest max policies; master offers every leaf it stores.
    expect([leaf(alder.r417, "pv_max", "80000000")!.eax, leaf(alder.master, "pv_max", "80000000")!.eax]).toEqual(["80000008", "80000021"]);
    // PKS is not in 4.17's featureset at all.
    expect(alder.r417.policies.hvm_max.features).not.toContain("pks");
    expect(alder.master.policies.hvm_max.features).toContain("pks");
    // Nested SVM: 4.17 clamps leaf 0x8000000a in the host policy and still offers TscRateMSR (bit 4).
    const rome = { r417: run("policy", "derive", ROME, "--xen-version", "4.17", "-o", "json"), master: run("policy", "derive", ROME, "-o", "json") };
    expect([leaf(rome.r417, "host", "8000000a")!.edx, leaf(rome.master, "host", "8000000a")!.edx]).toEqual(["000004bb", "0013bcff"]);
    expect([leaf(rome.r417, "hvm_max", "8000000a")!.edx, leaf(rome.master, "hvm_max", "8000000a")!.edx]).toEqual(["000004bb", "000004ab"]);
  }, 30_000);

  it("rejects an unmodelled --xen-version with exit 2, naming the accepted releases", () => {
    for (const cmd of [["derive", ROME], ["level", ROME, "--guest", "hvm"]]) {
      const r = spawnSync(BIN, ["policy", ...cmd, "--xen-version", "4.16"], { encoding: "utf8" });
      expect(r.status, cmd[0]).toBe(2);
      expect(r.stderr).toContain('--xen-version: Xen release "4.16" is not modelled; accepted: 4.17, master');
    }
  }, 30_000);
});
