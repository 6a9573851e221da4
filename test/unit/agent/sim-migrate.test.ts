import pino from "pino";
import type { Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { SimBackend } from "../../../agent/backends/sim.ts";
import { startSimAdmin } from "../../../agent/sim-admin.ts";
import { simAdminCall, SimAdminRefusal } from "../../../cli/sim-admin-client.ts";
import { SimMigratingDomain } from "../../../shared/schemas/sim-admin.ts";
import { context, defaultPolicy, fixturePolicy, record, tempDir } from "./support.ts";

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function simHost(): Promise<{ dir: string; sim: SimBackend }> {
  const dir = tempDir();
  const sim = new SimBackend(dir, defaultPolicy);
  servers.push(await startSimAdmin(dir, sim, pino({ level: "silent" }), () => undefined, context(sim)));
  return { dir, sim };
}

describe("sim admin export and import (cpuidctl sim migrate)", () => {
  it("a live domain leaves with its policy and provenance, and the destination keeps its state", async () => {
    const [a, b] = [await simHost(), await simHost()];
    await a.sim.create("vm", "hvm");
    const policy = record(fixturePolicy("hvm_default"));
    await a.sim.setPolicy({ domain: "vm", guestType: "hvm", policy, requestId: "uid-1/1/abc", generation: 1, resourceUid: "uid-1" });
    await a.sim.start("vm");
    const sent = SimMigratingDomain.parse(await simAdminCall(a.dir, { action: "export", domain: "vm" }));
    expect(sent).toMatchObject({ state: "running", creationFinished: true, activeHash: policy.hash, resourceUid: "uid-1", lastRequestId: "uid-1/1/abc", generation: 1 });
    await simAdminCall(b.dir, { action: "import", domain: "vm", body: sent });
    expect(await b.sim.domain("vm")).toMatchObject({ state: "running", creationFinished: true, active: policy, resourceUid: "uid-1", lastRequestId: "uid-1/1/abc", generation: 1 });
    await expect(simAdminCall(b.dir, { action: "import", domain: "vm", body: sent })).rejects.toThrow("domain vm already exists here (running)");
  });

  it("the destination's own audit refuses a policy beyond its max, with every finding", async () => {
    const [a, b] = [await simHost(), await simHost()];
    const beyond = fixturePolicy("hvm_max");
    beyond.feat[0].ebx |= 1 << 16; // avx512f, which the Alder Lake max lacks
    await a.sim.create("vm", "hvm");
    await a.sim.setPolicy({ domain: "vm", guestType: "hvm", policy: record(beyond), requestId: "r", generation: 1 });
    const sent = SimMigratingDomain.parse(await simAdminCall(a.dir, { action: "export", domain: "vm" }));
    const refusal = await simAdminCall(b.dir, { action: "import", domain: "vm", body: sent }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(SimAdminRefusal);
    expect((refusal as SimAdminRefusal).message).toContain("this host's own audit refuses domain vm's policy");
    expect((refusal as SimAdminRefusal).findings.flatMap((f) => f.features ?? [])).toContain("avx512f");
    expect(await b.sim.domain("vm")).toBeUndefined();
  });

  it("refuses a shut-down domain, a body for another domain and a policy that does not hash to what it claims", async () => {
    const [a, b] = [await simHost(), await simHost()];
    await a.sim.start("vm", "hvm");
    const sent = SimMigratingDomain.parse(await simAdminCall(a.dir, { action: "export", domain: "vm" }));
    await expect(simAdminCall(b.dir, { action: "import", domain: "other", body: sent })).rejects.toThrow("import body names domain vm, the path other");
    await expect(simAdminCall(b.dir, { action: "import", domain: "vm", body: { ...sent, activeHash: "sha256:00" } })).rejects.toThrow("not the activeHash sha256:00");
    await a.sim.stop("vm");
    await expect(simAdminCall(a.dir, { action: "export", domain: "vm" })).rejects.toThrow("domain vm is shutdown: only a live domain (paused or running) migrates");
  });
});
