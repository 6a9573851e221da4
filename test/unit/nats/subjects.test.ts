import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  HOSTS_BUCKET,
  hostIdFromToken,
  hostInboxPrefix,
  hostKeySubject,
  hostSubject,
  hostSubjectWildcard,
  hostToken,
} from "../../../shared/nats/subjects.ts";

// A NATS subject token: no separators, wildcards or whitespace. A KV key: ^[-/=.\w]+$.
const SUBJECT_TOKEN = /^[^.*>\s]+$/;
const KV_KEY = /^[-/=.\w]+$/;
const FC_SEED = { seed: 20261126 };

describe("host tokens", () => {
  it("keep ids that are already safe tokens", () => {
    expect(hostToken("host-a")).toBe("host-a");
    expect(hostToken("HOST_01")).toBe("HOST_01");
  });

  it("encode anything else as = + base64url without padding", () => {
    expect(hostToken("xen01.lab.example")).toBe("=" + Buffer.from("xen01.lab.example").toString("base64url"));
    expect(hostToken("a.b")).not.toContain("=".repeat(2));
    expect(hostToken("rack 4/ü")).toMatch(/^=[A-Za-z0-9_-]+$/);
  });

  it("round-trip every well-formed id and are valid subject tokens and KV keys", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, unit: "grapheme" }), (id) => {
        const token = hostToken(id);
        expect(hostIdFromToken(token)).toBe(id);
        expect(token).toMatch(SUBJECT_TOKEN);
        expect(token).toMatch(KV_KEY);
        expect(token).not.toContain(".");
      }),
      { ...FC_SEED, numRuns: 1000 },
    );
  });

  it("are unambiguous: distinct ids never share a token", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (a, b) => {
        fc.pre(a !== b && a.isWellFormed() && b.isWellFormed());
        expect(hostToken(a)).not.toBe(hostToken(b));
      }),
      { ...FC_SEED, numRuns: 1000 },
    );
  });

  it("reject empty ids, malformed Unicode and non-canonical tokens", () => {
    expect(() => hostToken("")).toThrow(/empty/);
    expect(() => hostToken("\ud800")).toThrow(/well-formed/);
    // "=" + base64url("abc") decodes to a plain id, whose token is "abc".
    expect(() => hostIdFromToken("=YWJj")).toThrow(/canonical/);
    expect(() => hostIdFromToken("a.b")).toThrow(/not a host token/);
    expect(() => hostIdFromToken("=")).toThrow(/not a host token/);
  });
});

describe("subjects", () => {
  it("address one host by its token", () => {
    expect(hostSubject("host-a", "set")).toBe("cpuid.v1.host.host-a.set");
    expect(hostSubject("a.b", "get")).toBe(`cpuid.v1.host.${hostToken("a.b")}.get`);
    expect(hostSubjectWildcard("host-a")).toBe("cpuid.v1.host.host-a.>");
    expect(hostKeySubject("host-a")).toBe(`$KV.${HOSTS_BUCKET}.host-a`);
    expect(hostInboxPrefix("host-a")).toBe("_INBOX_host-a");
  });
});
