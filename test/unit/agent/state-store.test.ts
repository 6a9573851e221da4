import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { StateStore } from "../../../agent/state-store.ts";
import { tempDir } from "./support.ts";

const Doc = z.object({ n: z.number(), items: z.array(z.string()) });

describe("StateStore", () => {
  it("returns undefined before the first save and the saved document after", () => {
    const path = join(tempDir(), "state.json");
    const store = new StateStore(path, Doc);
    expect(store.load()).toBeUndefined();
    store.save({ n: 1, items: ["a"] });
    store.save({ n: 2, items: ["a", "b"] });
    expect(new StateStore(path, Doc).load()).toEqual({ n: 2, items: ["a", "b"] });
  });

  it("leaves no temporary files behind and removes those of a crashed writer", () => {
    const dir = tempDir();
    const path = join(dir, "state.json");
    writeFileSync(`${path}.tmp-999-1`, '{"n":');
    const store = new StateStore(path, Doc);
    expect(existsSync(`${path}.tmp-999-1`)).toBe(false);
    store.save({ n: 1, items: [] });
    expect(readdirSync(dir)).toEqual(["state.json"]);
  });

  it("refuses a document that does not match the schema instead of resetting it", () => {
    const path = join(tempDir(), "state.json");
    writeFileSync(path, JSON.stringify({ n: "x" }));
    expect(() => new StateStore(path, Doc).load()).toThrow(/does not match its schema/);
  });
});
