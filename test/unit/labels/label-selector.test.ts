import { describe, expect, it } from "vitest";
import { LabelSelector, selectorMatches } from "../../../shared/labels/label-selector.ts";

const host = { "cpuidfleet.io/vendor": "intel", "cpuidfleet.io/family": "6", rack: "a1" };

describe("selectorMatches", () => {
  it("an empty selector matches every host, even one without labels", () => {
    expect(selectorMatches({}, host)).toBe(true);
    expect(selectorMatches({}, undefined)).toBe(true);
  });

  it("matchLabels needs every pair with its exact value", () => {
    expect(selectorMatches({ matchLabels: { "cpuidfleet.io/vendor": "intel", rack: "a1" } }, host)).toBe(true);
    expect(selectorMatches({ matchLabels: { "cpuidfleet.io/vendor": "amd" } }, host)).toBe(false);
    expect(selectorMatches({ matchLabels: { zone: "" } }, host)).toBe(false);
  });

  it.each([
    [{ key: "rack", operator: "In", values: ["a1", "b2"] }, true],
    [{ key: "rack", operator: "In", values: ["b2"] }, false],
    [{ key: "zone", operator: "In", values: ["a1"] }, false],
    [{ key: "rack", operator: "NotIn", values: ["b2"] }, true],
    [{ key: "rack", operator: "NotIn", values: ["a1"] }, false],
    [{ key: "zone", operator: "NotIn", values: ["a1"] }, true],
    [{ key: "rack", operator: "Exists" }, true],
    [{ key: "zone", operator: "Exists" }, false],
    [{ key: "zone", operator: "DoesNotExist" }, true],
    [{ key: "rack", operator: "DoesNotExist" }, false],
  ] as const)("%o → %s", (requirement, expected) => {
    expect(selectorMatches({ matchExpressions: [{ ...requirement, values: "values" in requirement ? [...requirement.values] : undefined }] }, host)).toBe(expected);
  });

  it("labels and expressions must all hold", () => {
    const sel = { matchLabels: { "cpuidfleet.io/vendor": "intel" }, matchExpressions: [{ key: "rack", operator: "NotIn" as const, values: ["a1"] }] };
    expect(selectorMatches(sel, host)).toBe(false);
  });

  it("the schema refuses In without values and Exists with values, naming the field", () => {
    const bad = LabelSelector.safeParse({ matchExpressions: [{ key: "rack", operator: "In", values: [] }, { key: "rack", operator: "Exists", values: ["x"] }] });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path.join("."))).toEqual(["matchExpressions.0.values", "matchExpressions.1.values"]);
  });
});
