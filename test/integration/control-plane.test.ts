// The control-plane harness itself, against the real servers: kubectl and
// CRDs, RBAC with a non-admin identity, restarts that keep data, and the
// NATS per-host permissions.

import { jetstream } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostKey, hostSubject, hostSubjectWildcard } from "../../shared/nats/subjects.ts";
import { attachPlane, connectNats, eventually, kubectl, kubectlOk as ok, planeInfo } from "../harness/context.ts";
import { openHostsBucket } from "../harness/nats-client.ts";

const FIXTURES = join(import.meta.dirname, "..", "harness", "fixtures");
const widget = (name: string, size: number, namespace = "default") => `
apiVersion: harness.cpuidfleet.io/v1
kind: Widget
metadata: { name: ${name}, namespace: ${namespace} }
spec: { size: ${size} }
`;

beforeAll(async () => {
  await attachPlane().installCrds([join(FIXTURES, "crds")]);
});

describe("Kubernetes", () => {
  it("serves the pinned version and bootstrap namespaces to kubectl", async () => {
    const version = JSON.parse(await ok(["version", "-o", "json"])) as {
      clientVersion: { gitVersion: string };
      serverVersion: { gitVersion: string };
    };
    expect(version.clientVersion.gitVersion).toBe("v1.34.4");
    expect(version.serverVersion.gitVersion).toBe("v1.34.4");
    expect(await ok(["get", "ns", "-o", "name"])).toMatch(/namespace\/default/);
  });

  it("kubectl applies and reads a custom resource, validated by its schema", async () => {
    expect(await ok(["apply", "-f", "-"], { stdin: widget("small", 3) })).toMatch(/widget.harness.cpuidfleet.io\/small created/);
    const got = JSON.parse(await ok(["get", "widget", "small", "-o", "json"])) as { spec: { size: number } };
    expect(got.spec.size).toBe(3);
    expect(await ok(["get", "wdg"])).toMatch(/small\s+3/);

    const invalid = await kubectl(["apply", "-f", "-"], { stdin: widget("empty", 0) });
    expect(invalid.status).not.toBe(0);
    expect(invalid.stderr).toMatch(/spec\.size.*should be greater than or equal to 1/);
  });

  it("an RBAC-limited identity may read widgets in its namespace and nothing more", async () => {
    await ok(["apply", "-f", join(FIXTURES, "widget-reader-rbac.yaml")]);
    await ok(["apply", "-f", "-"], { stdin: widget("visible", 2, "harness-rbac") });
    const kubeconfig = attachPlane().addUser("widget-viewer", ["widget-readers"]);
    const asViewer = (args: string[], stdin?: string) => kubectl(args, { kubeconfig, stdin });
    const canI = async (...args: string[]) => (await asViewer(["auth", "can-i", ...args])).stdout.trim();

    expect(await canI("list", "widgets.harness.cpuidfleet.io", "-n", "harness-rbac")).toBe("yes");
    expect(await canI("create", "widgets.harness.cpuidfleet.io", "-n", "harness-rbac")).toBe("no");
    expect(await canI("list", "widgets.harness.cpuidfleet.io", "-n", "default")).toBe("no");
    expect(await canI("list", "secrets", "-n", "harness-rbac")).toBe("no");

    const listed = await asViewer(["get", "widgets", "-n", "harness-rbac", "-o", "name"]);
    expect(listed.stdout.trim()).toBe("widget.harness.cpuidfleet.io/visible");

    const refusedCreate = await asViewer(["create", "-f", "-"], widget("sneaky", 1, "harness-rbac"));
    expect(refusedCreate.status).not.toBe(0);
    expect(refusedCreate.stderr).toMatch(/Forbidden.*User "widget-viewer" cannot create resource "widgets"/);

    const refusedRead = await asViewer(["get", "widgets", "-n", "default"]);
    expect(refusedRead.status).not.toBe(0);
    expect(refusedRead.stderr).toMatch(/Forbidden.*cannot list resource "widgets".*namespace "default"/);
  });

  it("kube-apiserver restart keeps objects", async () => {
    await ok(["create", "configmap", "survives-apiserver", "--from-literal=k=v1"]);
    await attachPlane().restartComponent("kube-apiserver");
    expect(await ok(["get", "configmap", "survives-apiserver", "-o", "jsonpath={.data.k}"])).toBe("v1");
    expect(await ok(["get", "widget", "small", "-o", "jsonpath={.spec.size}"])).toBe("3");
  });

  it("etcd restart keeps objects and the apiserver reconnects", async () => {
    await ok(["create", "configmap", "survives-etcd", "--from-literal=k=v2"]);
    const plane = attachPlane();
    await plane.stopComponent("etcd");
    await plane.startComponent("etcd");
    const value = await eventually("read after etcd restart", () =>
      ok(["get", "configmap", "survives-etcd", "-o", "jsonpath={.data.k}"]),
    );
    expect(value).toBe("v2");
  });
});

describe("NATS", () => {
  const connections: NatsConnection[] = [];
  const connect = async (identity: Parameters<typeof connectNats>[0]) => {
    const nc = await connectNats(identity);
    connections.push(nc);
    return nc;
  };
  const hostBucket = async (host: string): Promise<KV> => openHostsBucket(await connect({ host }));

  afterAll(async () => {
    await Promise.all(connections.map((nc) => nc.close()));
  });

  it("a host writes and reads its own key; the controller sees it", async () => {
    const kvA = await hostBucket("host-a");
    await kvA.put(hostKey("host-a"), "policy-a");
    expect((await kvA.get(hostKey("host-a")))?.string()).toBe("policy-a");

    const controller = await openHostsBucket(await connect("controller"));
    expect((await controller.get(hostKey("host-a")))?.string()).toBe("policy-a");
    const keys: string[] = [];
    for await (const k of await controller.keys()) keys.push(k);
    expect(keys).toContain("host-a");
  });

  it("host-a cannot write or read host-b's key", async () => {
    const kvA = await hostBucket("host-a");
    await expect(kvA.put(hostKey("host-b"), "forged")).rejects.toThrow(/Permissions Violation for Publish to "?\$KV\.cpuid-hosts\.host-b/);
    await expect(kvA.get(hostKey("host-b"))).rejects.toThrow(/Permissions Violation.*DIRECT\.GET.*host-b/);
    const kvB = await hostBucket("host-b");
    expect(await kvB.get(hostKey("host-b"))).toBeNull(); // nothing was written
  });

  it("host-a cannot subscribe to host-b's subjects, nor read the bucket via the stream API", async () => {
    const ncA = await connect({ host: "host-a" });
    const sub = ncA.subscribe(hostSubjectWildcard("host-b"));
    const closedWith = await sub.closed;
    expect(String(closedWith)).toMatch(/Permissions Violation for Subscription to "?cpuid\.v1\.host\.host-b\.>/);

    const js = jetstream(ncA, { checkAPI: false });
    const jsm = await js.jetstreamManager(false);
    await expect(jsm.streams.getMessage("KV_cpuid-hosts", { last_by_subj: "$KV.cpuid-hosts.host-a" })).rejects.toThrow(
      /Permissions Violation/,
    );
  });

  it("the controller's request reaches only the addressed host, which may answer it", async () => {
    const ncA = await connect({ host: "host-a" });
    ncA.subscribe(hostSubject("host-a", "get"), { callback: (_err, msg) => void msg.respond("from host-a") });
    await ncA.flush();
    const controller = await connect("controller");
    const reply = await controller.request(hostSubject("host-a", "get"), "", { timeout: 5_000 });
    expect(reply.string()).toBe("from host-a");
    // A host may not send requests (publish) to another host.
    await expect(ncA.request(hostSubject("host-b", "get"), "", { timeout: 2_000 })).rejects.toThrow(/Permissions Violation/);
  });

  it("a host added while the server runs can use its own key at once", async () => {
    await attachPlane().addNatsHost("xen07.lab.example");
    const kv = await hostBucket("xen07.lab.example");
    await kv.put(hostKey("xen07.lab.example"), "policy-7");
    expect((await kv.get(hostKey("xen07.lab.example")))?.string()).toBe("policy-7");
    expect(planeInfo().hosts).not.toContain("xen07.lab.example"); // provided once, at setup
    expect(attachPlane().info().hosts).toContain("xen07.lab.example");
  });

  it("nats-server restart keeps JetStream KV data", async () => {
    const before = await hostBucket("host-b");
    await before.put(hostKey("host-b"), "policy-b");
    await attachPlane().restartComponent("nats-server");
    const after = await hostBucket("host-b");
    const entry = await eventually("read after nats-server restart", async () => {
      const e = await after.get(hostKey("host-b"));
      if (!e) throw new Error("missing");
      return e;
    });
    expect(entry.string()).toBe("policy-b");
  });
});
