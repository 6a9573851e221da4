import { describe, expect, it } from "vitest";
import { parseSimAdminRoute, simAdminRoute, type SimAdminCall } from "../../../shared/schemas/sim-admin.ts";

describe("sim admin protocol", () => {
  it.each<SimAdminCall>([
    { action: "list" },
    { action: "create", domain: "web-1" },
    { action: "create", domain: "web-1", guestType: "pv" },
    { action: "start", domain: "db.2", guestType: "hvm" },
    { action: "stop", domain: "db_2" },
    { action: "destroy", domain: "x" },
    { action: "export", domain: "vm-1" },
    { action: "import", domain: "vm-1" },
  ])("the server reads back the call the client routed: %o", (call) => {
    const { method, path } = simAdminRoute(call);
    expect(parseSimAdminRoute(method, path)).toEqual(call);
  });

  it("names what is wrong with a request that is no call", () => {
    expect(parseSimAdminRoute("GET", "/nope")).toEqual({ error: "no such admin path /nope" });
    expect(parseSimAdminRoute("POST", "/domains/-bad/start")).toEqual({ error: expect.stringMatching(/^bad domain name: domain names are letters/) });
    expect(parseSimAdminRoute("POST", "/domains/ok/start?type=kvm")).toEqual({ error: "type must be pv or hvm" });
    expect(parseSimAdminRoute("POST", "/domains/ok/reboot")).toEqual({ error: "no such admin operation POST /domains/ok/reboot" });
    expect(parseSimAdminRoute("GET", "/domains/ok")).toEqual({ error: "no such admin operation GET /domains/ok" });
    expect(parseSimAdminRoute("POST", "/domains/ok/export")).toEqual({ error: "no such admin operation POST /domains/ok/export" });
    expect(parseSimAdminRoute("POST", "/domains/ok/import?type=pv")).toEqual({ action: "import", domain: "ok" });
  });
});
