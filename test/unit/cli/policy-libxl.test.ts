// cpuidctl policy libxl, run as users run it, its output judged by Debian's
// real libxl 4.17.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { deriveFromCpuidDump } from "../../../shared/derive/from-dump.ts";
import { formatFeatureset } from "../../../shared/featureset/featureset.ts";
import { parseCpuidDump } from "../../../shared/formats/cpuid-dump.ts";
import { policyFeatureset } from "../../../shared/policy/featureset-io.ts";
import { buildRequestedPolicy } from "../../../shared/request/build-request.ts";
import { parseRequest } from "../../../shared/request/parse-request.ts";
import { cpuidctl } from "../../support/cpuidctl.ts";
import { FIXTURES_DIR } from "../../../devenv/fixtures.ts";
import { applyLibxlMasks, judgeCpuidSettings } from "../../support/libxl-judge/judge.ts";
import { describeWithXenTools } from "../../support/xen-tools.ts";

const GENOA = join(FIXTURES_DIR, "cpuid-dumps", "amd", "genoa-epyc-9124.txt");
const SPR = join(FIXTURES_DIR, "cpuid-dumps", "intel", "sapphirerapids-xeon-w7-2475x.txt");
vi.setConfig({ testTimeout: 60_000 });
const dir = mkdtempSync(join(tmpdir(), "cpuidctl-libxl-"));

function request(name: string, doc: object): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

/** What the request means for a new HVM domain on the host: the requested and the default featureset. */
function expected(hostFile: string, req: object) {
  const host = deriveFromCpuidDump(parseCpuidDump(readFileSync(hostFile, "utf8"), hostFile));
  return { target: policyFeatureset(buildRequestedPolicy(host, "hvm", parseRequest(req))), def: policyFeatureset(host.hvm_default) };
}

describeWithXenTools("cpuidctl policy libxl, judged by libxl 4.17", () => {
  // Genoa's HVM max offers features 4.17's libxl has no name for (auto-ibrs, …)
  const max = { baseline: "max" };

  it.each([
    ["master", '"host,'],
    ["4.17.5", "["],
    ["4.17", "["],
  ])("Xen %s: one line, the form that libxl knows, meaning exactly the request", async (version, start) => {
    const r = cpuidctl("policy", "libxl", "--host", GENOA, "--guest", "hvm", "--request", request("max.json", max), "--xen-version", version);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith("\n") && !r.stdout.slice(0, -1).includes("\n")).toBe(true);
    const setting = r.stdout.trimEnd();
    expect(setting.startsWith(start)).toBe(true);
    if (version === "master") return; // names 4.17 lacks: only newer libxl can judge it
    const [j] = await judgeCpuidSettings([setting]);
    expect(j.items.filter((i) => i.rc !== 0)).toEqual([]);
    const { target, def } = expected(GENOA, max);
    expect(formatFeatureset(applyLibxlMasks(j.policy!, def))).toBe(formatFeatureset(target));
  });

  it("a request whose names 4.17 knows stays a libxl string, accepted by 4.17", async () => {
    const req = { baseline: "default", disable: ["avx2"], enable: ["itsc"] };
    const r = cpuidctl("policy", "libxl", "--host", SPR, "--guest", "hvm", "--request", request("small.json", req), "--xen-version", "4.17.5");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^"host,.*avx2=0.*itsc=1.*"\n$/);
    const [j] = await judgeCpuidSettings([r.stdout.trimEnd()]);
    expect(j.form).toBe("libxl");
    expect(j.items.filter((i) => i.rc !== 0)).toEqual([]);
    const { target, def } = expected(SPR, req);
    expect(formatFeatureset(applyLibxlMasks(j.policy!, def))).toBe(formatFeatureset(target));
  });
}, ["gcc"]);

describe("cpuidctl policy libxl errors", () => {
  it("a request beyond max prints findings and no setting (exit 1)", () => {
    const r = cpuidctl("policy", "libxl", "--host", GENOA, "--guest", "pv", "--request", request("svm.json", { baseline: "default", enable: ["svm"] }));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/svm\.json: the request does not fit the host's pv max policy \(1 finding\):\n.*svm/);
  });

  it("MSR_ARCH_CAPS changes a version cannot name are refused, naming them (exit 2)", () => {
    const r = cpuidctl("policy", "libxl", "--host", SPR, "--guest", "hvm", "--request", request("spr-max.json", { baseline: "max" }), "--xen-version", "4.17.5");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^cpuidctl: the libxl of Xen 4\.17\.5 knows no name for .*rfds-clear.*sets no MSR_ARCH_CAPS bits \(.*\)\n$/);
  });

  it("a malformed --xen-version is a usage error (exit 2)", () => {
    const r = cpuidctl("policy", "libxl", "--host", GENOA, "--guest", "hvm", "--request", request("max2.json", { baseline: "max" }), "--xen-version", "4.x");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('cpuidctl: --xen-version: Xen version "4.x" is not "master" or <major>.<minor>[.<patch>] (e.g. 4.17.5)\n');
  });
});
