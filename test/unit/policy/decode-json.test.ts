import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeJson } from "../../../shared/schemas/decode-json.ts";
import { Heartbeat } from "../../../shared/schemas/host-policies.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("decodeJson", () => {
  it("accepts a valid message", () => {
    const r = decodeJson(Heartbeat, bytes(JSON.stringify({ hostId: "h", digest: "d", at: "2026-11-27T00:00:00Z", domains: 2 })));
    expect(r.success && r.data.domains).toBe(2);
  });

  it("reports bytes that are not JSON as a failure naming the problem", () => {
    const r = decodeJson(Heartbeat, bytes("not json{"));
    expect(!r.success && r.error.issues[0].message).toMatch(/^not valid JSON/);
  });

  it("never throws, whatever the bytes (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        expect(typeof decodeJson(Heartbeat, b).success).toBe("boolean");
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
