// The linux and file probes derive with the configured Xen release model, and
// the published HostPolicies record which one (the xen probe reports Xen's own).

import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildHostPolicies } from "../../../agent/host-policies.ts";
import { FileProbe } from "../../../agent/probes/file.ts";
import { HostPolicies } from "../../../shared/schemas/host-policies.ts";
import { FIXTURES_DIR } from "../../../devenv/fixtures.ts";

const ALDER = join(FIXTURES_DIR, "xen-cpuid", "xen-cpuid-p_core-i5-12600k_alderlake.txt");
const ROME = join(FIXTURES_DIR, "cpuid-dumps", "amd", "rome-epyc-7402p.txt");

describe("release model of the file probe", () => {
  it("is recorded in the fingerprint, and a different model is a different fingerprint", async () => {
    const r417 = buildHostPolicies("h", await new FileProbe(ROME, "4.17").run());
    const master = buildHostPolicies("h", await new FileProbe(ROME).run());
    expect(HostPolicies.parse(r417).fingerprint.releaseModel).toBe("4.17");
    expect(master.fingerprint.releaseModel).toBe("master");
    expect(r417.fingerprint.digest).not.toBe(master.fingerprint.digest);
    // 0cd50753eb: 4.17 still offers TscRateMSR to nested SVM.
    expect(r417.hashes.hvm_max).not.toBe(master.hashes.hvm_max);
  });

  it("is absent when every policy is Xen's own", async () => {
    const hp = buildHostPolicies("h", await new FileProbe(ALDER, "4.17").run());
    expect(hp.fingerprint).not.toHaveProperty("releaseModel");
  });

  it("is optional in the schema: HostPolicies published before release models still parse", async () => {
    const { releaseModel, ...older } = buildHostPolicies("h", await new FileProbe(ROME).run()).fingerprint;
    expect(releaseModel).toBe("master");
    const hp = buildHostPolicies("h", await new FileProbe(ROME).run());
    expect(HostPolicies.parse({ ...hp, fingerprint: older }).fingerprint).toEqual(older);
  });
});
