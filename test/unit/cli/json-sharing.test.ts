import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringifySharing } from "../../../cli/json-sharing.ts";

describe("stringifySharing", () => {
  it("prints what JSON.stringify(value, null, 2) prints, for any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(stringifySharing(v)).toBe(JSON.stringify(v, null, 2));
      }),
    );
  });

  it("prints a shared array or object in full wherever it is met, at any depth", () => {
    const features = ["avx", "avx2"];
    const limits = { max: 7 };
    const v = {
      removed: [
        { host: "a", features, limits },
        { host: "b", features, limits },
      ],
      again: features,
      nested: [[features, limits]],
      skipped: undefined,
      holes: [undefined, () => 1, null],
      empty: { list: [], map: {} },
      when: new Date(0),
    };
    expect(stringifySharing(v)).toBe(JSON.stringify(v, null, 2));
  });
});
