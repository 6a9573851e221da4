import { describe, expect, it } from "vitest";
import { PolicyIndex } from "../../../controller/domain-policy/policy-index.ts";

const at = (s: number) => `2026-11-26T10:00:${String(s).padStart(2, "0")}Z`;

describe("PolicyIndex", () => {
  it("finds where a policy points now by its uid, across moves, until it goes; a recreated policy (new uid) is another", () => {
    const idx = new PolicyIndex();
    idx.set("ns/a", { host: "h1", domain: "d1", createdAt: at(1), uid: "u1" });
    expect(idx.targetOfUid("u1")).toMatchObject({ host: "h1", domain: "d1" });
    idx.set("ns/a", { host: "h2", domain: "d1", createdAt: at(1), uid: "u1" });
    expect(idx.targetOfUid("u1")).toMatchObject({ host: "h2", domain: "d1" });
    idx.set("ns/a", { host: "h2", domain: "d1", createdAt: at(3), uid: "u2" });
    expect(idx.targetOfUid("u1")).toBeUndefined();
    expect(idx.targetOfUid("u2")).toMatchObject({ host: "h2" });
    idx.remove("ns/a");
    expect(idx.targetOfUid("u2")).toBeUndefined();
  });

  it("lists the policies on a host and follows a policy that moves", () => {
    const idx = new PolicyIndex();
    idx.set("ns/a", { host: "h1", domain: "d1", createdAt: at(1) });
    idx.set("ns/b", { host: "h1", domain: "d2", createdAt: at(2) });
    expect([...idx.keysOnHost("h1")].sort()).toEqual(["ns/a", "ns/b"]);
    idx.set("ns/b", { host: "h2", domain: "d2", createdAt: at(2) });
    expect([...idx.keysOnHost("h1")]).toEqual(["ns/a"]);
    expect([...idx.keysOnHost("h2")]).toEqual(["ns/b"]);
  });

  it("the oldest policy naming a domain governs it; the others are told when that changes", () => {
    const idx = new PolicyIndex();
    expect(idx.set("ns/new", { host: "h", domain: "d", createdAt: at(5) })).toEqual([]);
    expect(idx.set("ns/old", { host: "h", domain: "d", createdAt: at(1) })).toEqual(["ns/new"]);
    expect(idx.owner("h", "d")).toBe("ns/old");
    expect(idx.set("ns/old", { host: "h", domain: "d", createdAt: at(1) })).toEqual([]);
    expect(idx.remove("ns/old")).toEqual(["ns/new"]);
    expect(idx.owner("h", "d")).toBe("ns/new");
    expect(idx.remove("ns/new")).toEqual([]);
    expect(idx.owner("h", "d")).toBeUndefined();
  });

  it("breaks creation-time ties by key", () => {
    const idx = new PolicyIndex();
    idx.set("ns/b", { host: "h", domain: "d", createdAt: at(1) });
    idx.set("ns/a", { host: "h", domain: "d", createdAt: at(1) });
    expect(idx.owner("h", "d")).toBe("ns/a");
  });

  it("moving a policy away from a shared domain hands it to the other", () => {
    const idx = new PolicyIndex();
    idx.set("ns/a", { host: "h", domain: "d", createdAt: at(1) });
    idx.set("ns/b", { host: "h", domain: "d", createdAt: at(2) });
    expect(idx.set("ns/a", { host: "h", domain: "other", createdAt: at(1) })).toEqual(["ns/b"]);
    expect(idx.owner("h", "d")).toBe("ns/b");
  });
});
