import { describe, expect, it } from "vitest";
import { MANAGED_LABELS_ANNOTATION, desiredLabels, labelPatch } from "../../../shared/labels/host-labels.ts";
import { labelErrors } from "../../../shared/labels/label-syntax.ts";
import { HostPolicies } from "../../../shared/schemas/host-policies.ts";

const cpu = { vendor: "amd", family: 25, model: 17 };
const facts = { "cpuidfleet.io/vendor": "amd", "cpuidfleet.io/family": "25", "cpuidfleet.io/model": "17" };

describe("host labels", () => {
  it("labels the CPU's facts and adds the agent's labels; facts win a clash", () => {
    expect(desiredLabels(cpu, { rack: "r7", "cpuidfleet.io/vendor": "fake" })).toEqual({ rack: "r7", ...facts });
  });

  it("a fresh object gets every label and the managed-keys annotation", () => {
    const patch = labelPatch(undefined, undefined, desiredLabels(cpu, { rack: "r7" }));
    expect(patch).toEqual({ labels: { rack: "r7", ...facts }, managedAnnotation: "cpuidfleet.io/family,cpuidfleet.io/model,cpuidfleet.io/vendor,rack" });
  });

  it("nothing to do when the labels are already right", () => {
    const annotations = { [MANAGED_LABELS_ANNOTATION]: "cpuidfleet.io/family,cpuidfleet.io/model,cpuidfleet.io/vendor" };
    expect(labelPatch({ ...facts, team: "x" }, annotations, facts)).toBeUndefined();
  });

  it("an operator's label is never overwritten, even under a key the agent asks for, nor removed", () => {
    const annotations = { [MANAGED_LABELS_ANNOTATION]: "cpuidfleet.io/family,cpuidfleet.io/model,cpuidfleet.io/vendor" };
    const patch = labelPatch({ ...facts, rack: "operator-set", team: "x" }, annotations, desiredLabels(cpu, { rack: "r7" }));
    expect(patch).toBeUndefined();
  });

  it("an agent label the agent dropped is removed, and a changed one updated", () => {
    const annotations = { [MANAGED_LABELS_ANNOTATION]: "cpuidfleet.io/family,cpuidfleet.io/model,cpuidfleet.io/vendor,rack,row" };
    const patch = labelPatch({ ...facts, rack: "r7", row: "3" }, annotations, desiredLabels(cpu, { rack: "r8" }));
    expect(patch).toEqual({ labels: { rack: "r8", row: null }, managedAnnotation: "cpuidfleet.io/family,cpuidfleet.io/model,cpuidfleet.io/vendor,rack" });
  });

  it("label syntax errors name the label and the rule", () => {
    expect(labelErrors({ "Bad Key": "x", ok: "-bad", "a/b": "fine", "UP.case/x": "y" })).toEqual([
      'label key "Bad Key": name must be 1-63 letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit',
      'label ok="-bad": value must be empty or 1-63 letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit',
      'label key "UP.case/x": prefix must be a DNS subdomain of at most 253 characters',
    ]);
    expect(labelErrors({ ["x".repeat(64)]: "" })).toHaveLength(1);
    expect(labelErrors({ k: "v".repeat(64) })).toHaveLength(1);
  });

  it("HostPolicies refuses invalid agent labels", () => {
    const r = HostPolicies.shape.labels.safeParse({ rack: "no spaces" });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].message).toContain('label rack="no spaces"');
  });
});
