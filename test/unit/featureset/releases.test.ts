import { describe, expect, it } from "vitest";
import { FEATURES } from "../../../shared/featureset/features.ts";
import { formatXenVersion, libxlNamedFeatures, parseXenVersion } from "../../../shared/featureset/releases.ts";

describe("features named by each Xen release", () => {
  // reference/xen-cpu-policy.md §3: feature counts per release 231 (4.18), 250, 265, 285, 286 (4.22), 287 (master)
  it.each([
    ["4.18.0", 231],
    ["4.19.1", 250],
    ["4.20", 265],
    ["4.21.0", 285],
    ["4.22.0", 286],
    ["master", 287],
  ])("Xen %s names %i features", (v, count) => {
    expect(libxlNamedFeatures(parseXenVersion(v)).size).toBe(count);
  });

  it("libxl takes header names from 4.17.2 on; earlier 4.17 gets none", () => {
    expect(libxlNamedFeatures(parseXenVersion("4.17.1")).size).toBe(0);
    expect(libxlNamedFeatures(parseXenVersion("4.16.3")).size).toBe(0);
    const named = libxlNamedFeatures(parseXenVersion("4.17.5"));
    expect(named.size).toBe(222);
    expect([...named].every((f) => FEATURES.includes(f))).toBe(true);
  });

  it("parses xl info versions and refuses anything else", () => {
    expect(formatXenVersion(parseXenVersion("4.17.5-pre"))).toBe("4.17.5");
    expect(formatXenVersion(parseXenVersion("4.19.1-1.fc40"))).toBe("4.19.1");
    expect(formatXenVersion(parseXenVersion("4.17"))).toBe("4.17.0");
    expect(parseXenVersion("master")).toBe("master");
    expect(formatXenVersion("master")).toBe("master");
    expect(parseXenVersion(" 4.18.0\n")).toEqual({ major: 4, minor: 18, patch: 0 });
    expect(parseXenVersion("10.1")).toEqual({ major: 10, minor: 1, patch: 0 });
    expect(parseXenVersion("4.17.10")).toEqual({ major: 4, minor: 17, patch: 10 });
    for (const bad of ["", "4", "four.17", "4.17.x.y", "4.17.5.6"]) expect(() => parseXenVersion(bad), bad).toThrow(/is not "master" or <major>.<minor>/);
  });
});
