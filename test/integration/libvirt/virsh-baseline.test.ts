// libvirt as the levelling peer: five real Intel CPUs levelled by cpuidctl
// (as a process, from xen-cpuid -p files) and by `virsh cpu-baseline` (test
// driver) from the same CPUs' hardware CPUID in libvirt's names; every feature
// our level keeps that libvirt can name is in libvirt's baseline or explained.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { installedLibvirtCpuMap, libvirtUnavailable, virshBaseline } from "../../../devenv/libvirt.ts";
import { deriveFromCpuidDump } from "../../../shared/derive/from-dump.ts";
import { parseFeatureset } from "../../../shared/featureset/featureset.ts";
import { parseCpuidDump } from "../../../shared/formats/cpuid-dump.ts";
import { formatXenCpuidPolicyBlock } from "../../../shared/formats/xen-cpuid-policy-text.ts";
import { compareWithLibvirt } from "../../../shared/libvirt/agreement.ts";
import { parseLibvirtBaseline } from "../../../shared/libvirt/baseline-output.ts";
import { pairFeatureNames } from "../../../shared/libvirt/feature-names.ts";
import { hostCpuXml, libvirtHostCpu } from "../../../shared/libvirt/host-cpu.ts";
import { policyFeatureset } from "../../../shared/policy/featureset-io.ts";
import { cpuidctl } from "../../support/cpuidctl.ts";
import { readShared } from "../../../devenv/fixtures.ts";

const PROFILES = ["broadwell-ep-xeon-e5-2620v4", "cascadelake-sp-xeon-platinum-8280", "haswell-ep-xeon-e5-2699v3", "icelake-sp-xeon-platinum-8351n", "sapphirerapids-xeon-w7-2475x"];
const SKIP = libvirtUnavailable();
const dir = mkdtempSync(join(tmpdir(), "virsh-baseline-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("levelling agrees with libvirt's virsh cpu-baseline", () => {
  if (SKIP) {
    it.skip(`skipped: ${SKIP}`, () => {});
    return;
  }

  it("on five real Intel CPUs: libvirt's baseline holds our level's features, or the hosts' policies say why not", () => {
    const map = installedLibvirtCpuMap();
    const pairs = pairFeatureNames(map.features);
    const hosts = PROFILES.map((name) => {
      const derived = deriveFromCpuidDump(parseCpuidDump(readShared("fixtures", "cpuid-dumps", "intel", `${name}.txt`), name));
      writeFileSync(join(dir, `${name}.txt`), formatXenCpuidPolicyBlock("Raw", derived.raw) + formatXenCpuidPolicyBlock("Host", derived.host));
      return { name, derived };
    });
    writeFileSync(join(dir, "libvirt.xml"), hosts.map((h) => hostCpuXml(libvirtHostCpu(h.derived.raw, map))).join("\n") + "\n");

    const ours = cpuidctl("policy", "level", "--guest", "hvm", "-o", "json", ...PROFILES.map((p) => join(dir, `${p}.txt`)));
    expect(ours.stderr).toBe("");
    expect(ours.code).toBe(0);
    const level = parseFeatureset((JSON.parse(ours.stdout) as { policy: { featureset: string } }).policy.featureset);
    const baseline = parseLibvirtBaseline(virshBaseline(join(dir, "libvirt.xml")), "virsh cpu-baseline");

    const compared = hosts.map((h) => ({ host: h.name, hardware: policyFeatureset(h.derived.raw), guestMax: policyFeatureset(h.derived.hvm_max) }));
    const a = compareWithLibvirt(level, baseline, pairs, compared);
    expect(a.onlyOurs.filter((d) => !d.reason)).toEqual([]);
    expect(a.agrees).toBe(true);
    expect(a.compared).toBeGreaterThan(50);
    // Xen's own additions for HVM guests, absent from the hardware's CPUID
    expect(a.onlyOurs.find((d) => d.feature === "hypervisor")?.reason).toMatch(/^Xen offers it to guests where the hardware does not report it/);
    // GDS-affected parts without GDS_CTRL microcode: Xen hides AVX from guests, libvirt keeps it
    expect(a.onlyLibvirt.find((d) => d.feature === "avx")?.reason).toBe(
      "Xen does not offer it to guests on cascadelake-sp-xeon-platinum-8280, icelake-sp-xeon-platinum-8351n",
    );
    expect(a.onlyLibvirt.every((d) => d.reason !== undefined)).toBe(true);
  });
});
