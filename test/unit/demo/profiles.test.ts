// The demo's CPU profiles (examples/profiles/) are what profile-from-dump.ts
// cuts from the shared fixtures, and derive exactly the policies of the full
// dumps: the demo runs on real CPUs, not on edited ones.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { deriveFromCpuidDump } from "../../../shared/derive/from-dump.ts";
import { parseCpuidDump } from "../../../shared/formats/cpuid-dump.ts";
import { policyHash } from "../../../shared/policy/canonical.ts";
import { DEMO_HOSTS, profilePath, profileProvenance } from "../../../scripts/demo/hosts.ts";
import { profileFromDump } from "../../../scripts/demo/profile-from-dump.ts";
import { FIXTURES_DIR } from "../../../devenv/fixtures.ts";

const POLICY_NAMES = ["raw", "host", "pv_max", "pv_default", "hvm_max", "hvm_default"] as const;

const hashes = (text: string, source: string) => {
  const derived = deriveFromCpuidDump(parseCpuidDump(text, source));
  return Object.fromEntries(POLICY_NAMES.map((name) => [name, policyHash(derived[name])]));
};

describe.each(DEMO_HOSTS.map((h) => [h.id, h] as const))("demo profile %s", (_, host) => {
  const dump = readFileSync(join(FIXTURES_DIR, "cpuid-dumps", host.sourceDump), "utf8");
  const profile = readFileSync(profilePath(host.id), "utf8");

  it("is the dump's CPU #0 CPUID block and MSR section, unedited", () => {
    expect(profile).toBe(profileFromDump(dump, host.id, profileProvenance(host)));
  });

  it("derives the same raw, host, max and default policies as the full dump", () => {
    expect(hashes(profile, profilePath(host.id))).toEqual(hashes(dump, host.sourceDump));
  });
});
