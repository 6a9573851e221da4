import { describe, expect, it } from "vitest";
import { SimBackend } from "../../../agent/backends/sim.ts";
import { defaultPolicy, fixturePolicy, record, tempDir } from "./support.ts";

const change = (domain: string, hash = "h") => {
  const p = fixturePolicy("hvm_default");
  p.basic[1].ecx &= ~(1 << 30);
  return { domain, guestType: "hvm" as const, policy: hash === "h" ? record(p) : { ...record(p), hash }, requestId: "r", generation: 3 };
};

describe("SimBackend", () => {
  it("follows Xen's lifecycle: created paused, settable until first unpause, staged afterwards", async () => {
    const sim = new SimBackend(tempDir(), defaultPolicy);
    const created = await sim.create("vm", "hvm");
    expect(created).toMatchObject({ state: "paused", creationFinished: false, active: defaultPolicy("hvm") });
    expect((await sim.setPolicy(change("vm"))).result).toBe("applied");
    await sim.start("vm");
    expect((await sim.setPolicy(change("vm", "other"))).result).toBe("staged");
    await sim.stop("vm");
    expect((await sim.domain("vm"))?.state).toBe("shutdown");
    expect((await sim.create("vm")).active?.hash).toBe("other");
  });

  it("keeps the provenance of a domain's policy (request, generation, resource uid) through create, start, stop and restart", async () => {
    const dir = tempDir();
    const sim = new SimBackend(dir, defaultPolicy);
    const provenance = { lastRequestId: "r", generation: 3, resourceUid: "uid-1" };
    await sim.start("running", "hvm");
    await sim.setPolicy({ ...change("running"), resourceUid: "uid-1" });
    await sim.stop("running");
    expect(await sim.start("running")).toMatchObject({ state: "running", active: change("running").policy, staged: undefined, ...provenance });
    await sim.stop("running");
    expect(await sim.create("running")).toMatchObject({ state: "paused", active: change("running").policy, ...provenance });

    await sim.setPolicy({ ...change("later"), resourceUid: "uid-1" });
    expect(await sim.create("later", "hvm")).toMatchObject({ state: "paused", active: change("later").policy, ...provenance });
    expect(await new SimBackend(dir, defaultPolicy).domain("later")).toMatchObject(provenance);
  });

  it("refuses impossible lifecycle operations", async () => {
    const sim = new SimBackend(tempDir(), defaultPolicy);
    await sim.create("vm", "pv");
    await expect(sim.create("vm")).rejects.toThrow(/already exists/);
    await expect(sim.stop("nope")).rejects.toThrow(/no domain/);
    await expect(sim.destroy("nope")).rejects.toThrow(/no domain/);
    await sim.setPolicy({ ...change("later"), guestType: "pv" });
    await expect(sim.create("later", "hvm")).rejects.toThrow(/staged pv policy/);
  });

  it("persists every change: a new instance on the same state dir sees the same domains", async () => {
    const dir = tempDir();
    const sim = new SimBackend(dir, defaultPolicy);
    await sim.start("running", "hvm");
    await sim.setPolicy(change("running"));
    await sim.setPolicy(change("pending"));
    await sim.create("gone", "hvm");
    await sim.destroy("gone");
    const again = new SimBackend(dir, defaultPolicy);
    expect(await again.domains()).toEqual(await sim.domains());
    expect((await again.domain("running"))).toMatchObject({ state: "running", creationFinished: true, staged: change("running").policy, generation: 3 });
    expect((await again.domain("pending"))?.state).toBe("absent");
  });
});
