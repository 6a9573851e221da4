import { createUser } from "@nats-io/nkeys";
import { describe, expect, it } from "vitest";
import {
  controllerPermissions,
  fleetUsers,
  hostPermissions,
  renderAuthorization,
} from "../../../shared/nats/authorization.ts";
import { hostToken } from "../../../shared/nats/subjects.ts";

const key = () => createUser().getPublicKey();

describe("host permissions", () => {
  it("allow only the host's own key, subjects and inbox", () => {
    const p = hostPermissions("host-a");
    expect(p.publish.allow).toEqual([
      "$KV.cpuid-hosts.host-a",
      "$JS.API.DIRECT.GET.KV_cpuid-hosts.$KV.cpuid-hosts.host-a",
      "cpuid.v1.host.host-a.heartbeat",
      "cpuid.v1.host.host-a.domain-event",
    ]);
    expect(p.subscribe.allow).toEqual(["cpuid.v1.host.host-a.>", "_INBOX_host-a.>"]);
    expect(p.allow_responses).toBe(true);
  });

  it("use the encoded token for ids that are not plain tokens", () => {
    const p = hostPermissions("xen01.lab");
    const t = hostToken("xen01.lab");
    expect(p.publish.allow[0]).toBe(`$KV.cpuid-hosts.${t}`);
    expect(p.subscribe.allow).toContain(`cpuid.v1.host.${t}.>`);
  });

  it("never grant a wildcard over other hosts' keys or the generic message get", () => {
    const all = [...hostPermissions("h").publish.allow, ...hostPermissions("h").subscribe.allow];
    expect(all.some((s) => s.includes("STREAM.MSG.GET"))).toBe(false);
    expect(all.filter((s) => s.startsWith("$KV.") || s.includes("DIRECT.GET")).every((s) => s.endsWith(".h"))).toBe(true);
  });
});

describe("controller permissions", () => {
  it("request any host and stay inside the bucket's stream", () => {
    const p = controllerPermissions();
    expect(p.publish.allow).toContain("cpuid.v1.host.*.>");
    expect(p.publish.allow.filter((s) => s.startsWith("$JS.") && s !== "$JS.API.INFO").every((s) => s.includes("KV_cpuid-hosts"))).toBe(true);
    expect(p.subscribe.allow).toEqual(["_INBOX.>", "cpuid.v1.host.*.heartbeat", "cpuid.v1.host.*.domain-event"]);
  });
});

describe("authorization config", () => {
  it("lists admin unrestricted, the controller and each host", () => {
    const admin = key();
    const controller = key();
    const a = key();
    const text = renderAuthorization({ adminPublicKey: admin, controllerPublicKey: controller, hosts: [{ hostId: "host-a", publicKey: a }] });
    expect(text).toContain(`{ nkey: "${admin}" }`);
    expect(text).toContain(`nkey: "${controller}", permissions`);
    expect(text).toContain(`nkey: "${a}", permissions: { publish: { allow: ["$KV.cpuid-hosts.host-a"`);
    expect(text.startsWith("authorization {")).toBe(true);
    expect(text).not.toContain("timeout");
  });

  it("sets the authorization timeout when given one", () => {
    const text = renderAuthorization({ adminPublicKey: key(), controllerPublicKey: key(), hosts: [] }, 10);
    expect(text.startsWith("authorization {\n  timeout: 10\n  users = [")).toBe(true);
  });

  it("rejects duplicate hosts, shared keys and malformed keys", () => {
    const k = key();
    expect(() => fleetUsers({ adminPublicKey: key(), controllerPublicKey: key(), hosts: [{ hostId: "a", publicKey: key() }, { hostId: "a", publicKey: key() }] })).toThrow(/duplicate host/);
    expect(() => fleetUsers({ adminPublicKey: k, controllerPublicKey: k, hosts: [] })).toThrow(/more than one identity/);
    expect(() => fleetUsers({ adminPublicKey: "nope", controllerPublicKey: key(), hosts: [] })).toThrow(/not an nkey/);
  });
});
