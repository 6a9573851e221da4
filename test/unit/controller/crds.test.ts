import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { allCrds, domainCpuidPolicyCrd, renderCrdYaml } from "../../../shared/api/v1alpha1/crds.ts";
import { FEATURE_NAMES } from "../../../shared/featureset/features.ts";

const crdsDir = join(import.meta.dirname, "..", "..", "..", "crds");

function walk(node: unknown, visit: (n: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) node.forEach((n) => walk(n, visit));
  else if (node && typeof node === "object") {
    visit(node as Record<string, unknown>);
    Object.values(node).forEach((n) => walk(n, visit));
  }
}

describe("CRDs", () => {
  it.each(allCrds().map((c) => [c.fileName, c.crd] as const))("committed crds/%s equals the generator's output", (fileName, crd) => {
    expect(readFileSync(join(crdsDir, fileName), "utf8")).toBe(renderCrdYaml(crd));
  });

  it("are structural: no $schema, no additionalProperties:false, no unions", () => {
    for (const { crd } of allCrds()) {
      walk(crd, (n) => {
        expect(n).not.toHaveProperty("$schema");
        expect(n.additionalProperties).not.toBe(false);
        for (const k of ["anyOf", "oneOf", "allOf", "propertyNames"]) expect(n).not.toHaveProperty(k);
      });
    }
  });

  it("describe every field but metadata (the apiserver's own), for kubectl explain", () => {
    const undescribed: string[] = [];
    const visit = (path: string, s: Record<string, any>) => {
      if (!path.endsWith(".metadata") && (typeof s.description !== "string" || s.description.length < 10)) undescribed.push(path);
      for (const [name, sub] of Object.entries((s.properties ?? {}) as Record<string, any>)) visit(`${path}.${name}`, sub);
      if (s.items?.properties) for (const [name, sub] of Object.entries(s.items.properties as Record<string, any>)) visit(`${path}.${name}`, sub);
    };
    for (const { fileName, crd } of allCrds()) visit(fileName, (crd as any).spec.versions[0].schema.openAPIV3Schema);
    expect(undescribed).toEqual([]);
  });

  it("lists every feature name as a set enum for enable and disable", () => {
    const spec = (parse(renderCrdYaml(domainCpuidPolicyCrd()))).spec.versions[0].schema.openAPIV3Schema.properties.spec;
    for (const list of ["enable", "disable"]) {
      expect(spec.properties[list]["x-kubernetes-list-type"]).toBe("set");
      expect(spec.properties[list].items.enum).toEqual([...FEATURE_NAMES]);
    }
    expect(spec["x-kubernetes-validations"].map((v: { message: string }) => v.message)).toEqual([
      "a feature may not be both enabled and disabled",
      "spec.pool is required when spec.baseline is pool",
      "spec.pool is only valid with spec.baseline: pool",
      "spec.policy replaces enable/disable; give one or the other",
    ]);
  });

  it("limits spec.policy to what XEN_DOMCTL_set_cpu_policy takes: 120 leaves, 2 MSRs (reference §5)", () => {
    const spec = (parse(renderCrdYaml(domainCpuidPolicyCrd()))).spec.versions[0].schema.openAPIV3Schema.properties.spec;
    expect(spec.properties.policy.properties.leaves.maxItems).toBe(120);
    expect(spec.properties.policy.properties.msrs.maxItems).toBe(2);
  });

  it("has the status subresource, category cpuid, short names and printer columns", () => {
    const [dcp, hcp] = allCrds().map((c) => (c.crd as any).spec);
    expect(dcp.names.shortNames).toEqual(["dcp"]);
    expect(hcp.names.shortNames).toEqual(["hcp"]);
    expect(hcp.scope).toBe("Cluster");
    for (const s of [dcp, hcp]) {
      expect(s.names.categories).toEqual(["cpuid"]);
      expect(s.versions[0].subresources).toEqual({ status: {} });
    }
    const columns = dcp.versions[0].additionalPrinterColumns.filter((c: any) => !c.priority).map((c: any) => c.name.toUpperCase());
    expect(columns).toEqual(expect.arrayContaining(["HOST", "GUEST", "AUDITED", "APPLIED", "AGE"]));
  });
});
