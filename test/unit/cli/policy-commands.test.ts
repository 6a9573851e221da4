// cpuidctl policy audit | level | explain, run as users run them.

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { FindingJson } from "../../../shared/schemas/finding.ts";
import { cpuidctl } from "../../support/cpuidctl.ts";
import { FIXTURES_DIR } from "../../../devenv/fixtures.ts";

const ALDER = join(FIXTURES_DIR, "xen-cpuid", "xen-cpuid-p_core-i5-12600k_alderlake.txt");
const IVY = join(FIXTURES_DIR, "xen-cpuid", "xen-cpuid-p_xeon-e5-2430l-v2_ivybridge-en.txt");
const ROME = join(FIXTURES_DIR, "cpuid-dumps", "amd", "rome-epyc-7402p.txt");
// each case starts Node; the machine is shared with long builds
vi.setConfig({ testTimeout: 60_000 });
const dir = mkdtempSync(join(tmpdir(), "cpuidctl-policy-"));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("cpuidctl policy audit", () => {
  it("a full policy with a repeated leaf is accepted (the last wins) with a warning naming the file", () => {
    const derived = JSON.parse(cpuidctl("policy", "derive", ALDER, "-o", "json").stdout);
    const p = derived.policies.hvm_default;
    const req = file("dup.json", JSON.stringify({ leaves: [...p.leaves, p.leaves[1]], msrs: p.msrs }));
    const r = cpuidctl("policy", "audit", "--host", ALDER, "--guest", "hvm", "--request", req);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`cpuidctl: warning: ${req}: leaf 0x00000001 is given more than once (records 2 and ${p.leaves.length + 1}); the last one wins\n`);
  });

  it("a leaf-0 record with a subleaf is refused, naming the file and saying to use ffffffff", () => {
    const req = file("leaf0.json", JSON.stringify({ leaves: [{ leaf: "0", subleaf: "0", eax: "d", ebx: "0", ecx: "0", edx: "0" }], msrs: [] }));
    const r = cpuidctl("policy", "audit", "--host", ALDER, "--guest", "hvm", "--request", req);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`cpuidctl: ${req}: leaf 0x00000000 subleaf 0x00000000: this leaf has no sub-leaves: give subleaf ffffffff (none), not 00000000\n`);
  });

  it("exit 0 and ok:true for a clean request (YAML)", () => {
    const req = file("clean.yaml", "baseline: default\nenable: [itsc]\n");
    const r = cpuidctl("policy", "audit", "--host", ALDER, "--guest", "pv", "--request", req, "-o", "json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, findings: [] });
  });

  it("exit 1 with every finding in the JSON contract", () => {
    const req = file("bad.json", JSON.stringify({ baseline: "max", enable: ["avx512f"], disable: ["xsave"] }));
    const r = cpuidctl("policy", "audit", "--host", ALDER, "--guest", "hvm", "--request", req, "-o", "json");
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    for (const f of out.findings) FindingJson.parse(f);
    const codes = new Set(out.findings.map((f: { code: string }) => f.code));
    expect([...codes].sort()).toEqual(["dependency-missing", "feature-not-in-max"]);
    expect(out.findings[0]).toMatchObject({ code: "feature-not-in-max", features: ["avx512f"], leaf: "00000007", subleaf: "00000000", register: "ebx" });
  });

  it("exit 2 for bad input: unknown feature, unreadable host, missing --guest", () => {
    const req = file("typo.json", JSON.stringify({ enable: ["avx-512f"] }));
    const typo = cpuidctl("policy", "audit", "--host", ALDER, "--guest", "hvm", "--request", req);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/unknown feature "avx-512f"; did you mean avx512f/);
    expect(cpuidctl("policy", "audit", "--host", join(dir, "missing"), "--guest", "hvm", "--request", req).code).toBe(2);
    expect(cpuidctl("policy", "audit", "--host", ALDER, "--request", req).code).toBe(2);
  });
});

describe("cpuidctl policy level", () => {
  it("levels hosts and says who removes what", () => {
    const r = cpuidctl("policy", "level", ALDER, IVY, "--guest", "pv", "-o", "json");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(true);
    expect(out.policy.features).toContain("avx");
    expect(out.policy.featureset).toMatch(/^[0-9a-f]{8}(:[0-9a-f]{8}){18}$/);
    const ivy = out.removed.find((x: { host: string }) => x.host === "xen-cpuid-p_xeon-e5-2430l-v2_ivybridge-en");
    expect(ivy.features).toContain("avx2");
  });

  it("takes each dump's TSC frequency as the file probe publishes it: itsc only where the rates agree", () => {
    const dump = (name: string) => join(FIXTURES_DIR, "cpuid-dumps", "intel", name);
    const level = (...files: string[]) => JSON.parse(cpuidctl("policy", "level", ...files, "--guest", "hvm", "-o", "json").stdout);
    const [skylake, cascade] = [dump("skylake-sp-xeon-platinum-8160-2s.txt"), dump("cascadelake-sp-xeon-platinum-8280.txt")];
    const apart = level(skylake, cascade);
    expect(apart.policy.features).not.toContain("itsc");
    expect(apart.warnings).toContain(
      "itsc removed: TSC frequencies differ by more than 250 ppm (2100000 kHz: skylake-sp-xeon-platinum-8160-2s; 2700000 kHz: cascadelake-sp-xeon-platinum-8280) and skylake-sp-xeon-platinum-8160-2s, cascadelake-sp-xeon-platinum-8280 cannot scale TSC",
    );
    expect(apart.removed.filter((r: { features: string[] }) => r.features.includes("itsc")).map((r: { host: string }) => r.host)).toEqual([
      "skylake-sp-xeon-platinum-8160-2s",
      "cascadelake-sp-xeon-platinum-8280",
    ]);
    const copy = file("skylake-copy.txt", readFileSync(skylake, "utf8"));
    const same = level(skylake, copy);
    expect(same.policy.features).toContain("itsc");
    expect(same.warnings).toEqual([]);
  });

  it("names each host by its file name, or by its path where two files share a name", () => {
    const text = readFileSync(ALDER, "utf8");
    mkdirSync(join(dir, "a"));
    mkdirSync(join(dir, "b"));
    const twins = [file("a/web.txt", text), file("b/web.txt", text)];
    const r = cpuidctl("policy", "level", ...twins, IVY, "--guest", "pv", "-o", "json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).hosts).toEqual([...twins, "xen-cpuid-p_xeon-e5-2430l-v2_ivybridge-en"]);
  });

  it("exit 1 with a clear error for mixed vendors", () => {
    const r = cpuidctl("policy", "level", ALDER, ROME, "--guest", "hvm");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/error: hosts of different vendors .*intel .*xen-cpuid-p_core-i5-12600k_alderlake.*amd .*rome-epyc-7402p/);
  });
});

describe("cpuidctl policy explain", () => {
  it("explains a feature, and suggests names for an unknown one", () => {
    const r = cpuidctl("policy", "explain", "avx2");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/CPUID 0x00000007:0\.ebx\[5\]/);
    expect(r.stdout).toMatch(/needs\s+avx/);
    const bad = cpuidctl("policy", "explain", "avx-2", "-o", "json");
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout).suggestions).toContain("avx2");
  });
});
