import { describe, expect, it } from "vitest";
import { SimBackend } from "../../../agent/backends/sim.ts";
import { handleRequest, type Reply } from "../../../agent/handlers.ts";
import { policyHash } from "../../../shared/policy/canonical.ts";
import { MAX_REQUEST_BYTES } from "../../../shared/schemas/agent-messages.ts";
import { context, defaultPolicy, fixturePolicy, HOST, json, setRequest, tempDir } from "./support.ts";

function setup() {
  const backend = new SimBackend(tempDir(), defaultPolicy);
  return { backend, ctx: context(backend) };
}

const asSet = (r: Reply) => {
  if (!r.ok || !("result" in r)) throw new Error(`expected a set reply, got ${JSON.stringify(r)}`);
  return r;
};
const asError = (r: Reply) => {
  if (r.ok) throw new Error(`expected an error reply, got ${JSON.stringify(r)}`);
  return r.error;
};

/** hvm_default with one feature Alder Lake's HVM max lacks (avx512f, CPUID 7:0.ebx[16]). */
function beyondMax() {
  const p = fixturePolicy("hvm_default");
  p.feat[0].ebx |= 1 << 16;
  return p;
}

describe("set", () => {
  it("applies to a created-paused domain, and a retry is a duplicate that changes nothing", async () => {
    const { backend, ctx } = setup();
    await backend.create("vm1", "hvm");
    const p = fixturePolicy("hvm_default");
    p.basic[1].ecx &= ~(1 << 30); // rdrand off: a policy different from the domain's default
    const first = asSet((await handleRequest("set", setRequest("vm1", p, { requestId: "r1" }), ctx)).reply);
    expect(first).toMatchObject({ result: "applied", duplicate: false, domainState: "paused", activeHash: policyHash(p) });
    const retry = await handleRequest("set", setRequest("vm1", p, { requestId: "r1" }), ctx);
    expect(retry.outcome).toBe("duplicate");
    expect(asSet(retry.reply)).toMatchObject({ result: "applied", duplicate: true, activeHash: policyHash(p) });
    expect((await backend.domain("vm1"))?.lastRequestId).toBe("r1");
  });

  it("stages for a domain that has run, and the staged policy becomes active at its next start", async () => {
    const { backend, ctx } = setup();
    await backend.start("vm1", "hvm");
    const p = fixturePolicy("hvm_default");
    p.basic[1].ecx &= ~(1 << 30);
    const staged = asSet((await handleRequest("set", setRequest("vm1", p), ctx)).reply);
    expect(staged).toMatchObject({ result: "staged", domainState: "running", stagedHash: policyHash(p), activeHash: defaultPolicy("hvm").hash });
    expect(asSet((await handleRequest("set", setRequest("vm1", p), ctx)).reply)).toMatchObject({ result: "staged", duplicate: true });
    await backend.stop("vm1");
    const restarted = await backend.start("vm1");
    expect(restarted).toMatchObject({ state: "running", active: { hash: policyHash(p) }, staged: undefined });
  });

  it("keeps a policy for an unknown domain and installs it when the domain is created", async () => {
    const { backend, ctx } = setup();
    const p = fixturePolicy("hvm_default");
    p.basic[1].ecx &= ~(1 << 30);
    expect(asSet((await handleRequest("set", setRequest("later", p), ctx)).reply)).toMatchObject({ result: "staged", domainState: "absent" });
    const created = await backend.create("later");
    expect(created).toMatchObject({ state: "paused", guestType: "hvm", active: { hash: policyHash(p) }, staged: undefined });
  });

  it("withdraws a staged change when the running policy is requested again", async () => {
    const { backend, ctx } = setup();
    await backend.start("vm1", "hvm");
    const other = fixturePolicy("hvm_default");
    other.basic[1].ecx &= ~(1 << 30);
    await handleRequest("set", setRequest("vm1", other), ctx);
    const back = asSet((await handleRequest("set", setRequest("vm1", fixturePolicy("hvm_default")), ctx)).reply);
    expect(back).toMatchObject({ result: "applied", duplicate: false, stagedHash: undefined });
  });

  it("rejects a policy beyond the current guest max with findings and leaves the domain alone", async () => {
    const { backend, ctx } = setup();
    await backend.create("vm1", "hvm");
    const handled = await handleRequest("set", setRequest("vm1", beyondMax()), ctx);
    const reply = asSet(handled.reply);
    expect(reply.result).toBe("rejected");
    expect(reply.findings.some((f) => f.code === "feature-not-in-max" && f.features.includes("avx512f"))).toBe(true);
    expect((await backend.domain("vm1"))?.active?.hash).toBe(defaultPolicy("hvm").hash);
  });

  it("audits against the max of the request's guest type", async () => {
    const { ctx } = setup();
    // The HVM default has VMX-related and HVM-only bits a PV max lacks.
    const reply = asSet((await handleRequest("set", setRequest("pv1", fixturePolicy("hvm_default"), { guestType: "pv" }), ctx)).reply);
    expect(reply.result).toBe("rejected");
    expect(reply.maxHash).toBe(policyHash(fixturePolicy("pv_max")));
  });

  it("refuses a request of an older generation of the same resource, not of another resource", async () => {
    const { backend, ctx } = setup();
    await backend.create("vm1", "hvm");
    const newer = fixturePolicy("hvm_default");
    newer.basic[1].ecx &= ~(1 << 30);
    const older = fixturePolicy("hvm_default");
    older.feat[0].ebx &= ~(1 << 18); // rdseed off
    const sent = (policy: typeof newer, generation: number, resourceUid: string) =>
      handleRequest("set", setRequest("vm1", policy, { generation, resourceUid, requestId: `${resourceUid}/${generation}` }), ctx);
    expect(asSet((await sent(newer, 3, "uid-a")).reply).result).toBe("applied");
    const late = asError((await sent(older, 2, "uid-a")).reply);
    expect(late.code).toBe("stale-request");
    expect(late.message).toMatch(/generation 2 .* older than generation 3/);
    expect((await backend.domain("vm1"))?.active?.hash).toBe(policyHash(newer));
    // a recreated resource starts at generation 1 again under a new uid
    expect(asSet((await sent(older, 1, "uid-b")).reply).result).toBe("applied");
  });

  it("applies a set with ifResourceUid only while the domain's policy still comes from that resource", async () => {
    const { backend, ctx } = setup();
    await backend.create("vm1", "hvm");
    const policyA = fixturePolicy("hvm_default");
    policyA.basic[1].ecx &= ~(1 << 30); // rdrand off
    const policyB = fixturePolicy("hvm_default");
    policyB.feat[0].ebx &= ~(1 << 18); // rdseed off
    const defaults = fixturePolicy("hvm_default");
    const set = (policy: typeof policyA, extra: Record<string, unknown>) => handleRequest("set", setRequest("vm1", policy, { generation: 1, ...extra }), ctx);
    expect(asSet((await set(policyA, { resourceUid: "uid-a", requestId: "a/1" })).reply).result).toBe("applied");
    // the policy was deleted and recreated as uid-b before the reset of uid-a's domain arrived
    expect(asSet((await set(policyB, { resourceUid: "uid-b", requestId: "b/1" })).reply).result).toBe("applied");
    const reset = asError((await set(defaults, { resourceUid: "uid-a", ifResourceUid: "uid-a", requestId: "a/reset" })).reply);
    expect(reset.code).toBe("stale-request");
    expect(reset.path).toBe("ifResourceUid");
    expect((await backend.domain("vm1"))?.active?.hash).toBe(policyHash(policyB));
    // while it still comes from uid-b, a reset for uid-b goes through
    expect(asSet((await set(defaults, { resourceUid: "uid-b", ifResourceUid: "uid-b", requestId: "b/reset" })).reply).result).toBe("applied");
  });

  it("refuses a guest type that differs from the existing domain's", async () => {
    const { backend, ctx } = setup();
    await backend.create("vm1", "pv");
    const p = fixturePolicy("pv_default");
    expect(asError((await handleRequest("set", setRequest("vm1", p, { guestType: "hvm" }), ctx)).reply).code).toBe("bad-request");
  });
});

describe("malformed requests get structured errors", () => {
  const { ctx } = setup();
  const p = fixturePolicy("hvm_default");
  const cases: Array<[string, Uint8Array, string]> = [
    ["not JSON", new TextEncoder().encode("{nope"), "bad-request"],
    ["not UTF-8", new Uint8Array([0xff, 0xfe, 0x7b]), "bad-request"],
    ["missing fields", json({ hostId: HOST }), "bad-request"],
    ["a bad domain name", setRequest("../etc", p), "bad-request"],
    ["another host", setRequest("vm1", p, { hostId: "node-b" }), "wrong-host"],
    ["a wrong hash", setRequest("vm1", p, { policyHash: "sha256:00" }), "policy-invalid"],
    ["too large", new Uint8Array(MAX_REQUEST_BYTES + 1).fill(0x20), "too-large"],
  ];
  it.each(cases)("%s", async (_name, payload, code) => {
    const handled = await handleRequest("set", payload, ctx);
    expect(asError(handled.reply).code).toBe(code);
    expect(handled.outcome).toBe(code);
  });

  it("a leaf Xen does not store, naming it", async () => {
    const body = JSON.parse(new TextDecoder().decode(setRequest("vm1", p)));
    body.policy.leaves.push({ leaf: "00000020", subleaf: "ffffffff", eax: "0", ebx: "0", ecx: "0", edx: "0" });
    const error = asError((await handleRequest("set", json(body), ctx)).reply);
    expect(error).toMatchObject({ code: "policy-invalid", path: "policy (leaf 00000020:ffffffff)" });
  });
});

describe("get and domains", () => {
  it("report domains with their policies, and unknown ones as errors", async () => {
    const { backend, ctx } = setup();
    await backend.create("vm1", "hvm");
    const got = (await handleRequest("get", json({ hostId: HOST, domain: "vm1" }), ctx)).reply;
    expect(got).toMatchObject({ ok: true, domain: { domain: "vm1", state: "paused", activeHash: defaultPolicy("hvm").hash } });
    expect("domain" in got && typeof got.domain === "object" && got.domain.activePolicy?.leaves.length).toBeGreaterThan(0);
    expect(asError((await handleRequest("get", json({ hostId: HOST, domain: "nope" }), ctx)).reply).code).toBe("unknown-domain");
    const list = (await handleRequest("domains", json({ hostId: HOST }), ctx)).reply;
    expect(list).toMatchObject({ ok: true, domains: [{ domain: "vm1", state: "paused" }] });
    expect(asError((await handleRequest("domains", json({ hostId: "node-b" }), ctx)).reply).code).toBe("wrong-host");
  });
});
