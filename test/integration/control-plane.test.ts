// The local control plane (devenv/plane/) itself, against the real servers: kubectl and
// CRDs, RBAC with a non-admin identity, restarts that keep data, and the
// NATS per-host permissions.

import { jetstream } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostKey, hostKeySubject, hostSubject, hostSubjectWildcard } from "../../shared/nats/subjects.ts";
import { attachPlane, connectNats, eventually, kubectl, kubectlOk as ok, planeInfo } from "../harness/context.ts";
import { openHostsBucket } from "../../runtime/nats/hosts-bucket.ts";

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

// The bucket is shared with every other test file: these tests use hosts of
// their own and purge what they wrote.
const HOST_A = "harness-a";
const HOST_B = "harness-b";
const ADDED_HOST = "xen07.lab.example";

describe("NATS", () => {
  const connections: NatsConnection[] = [];
  const connect = async (identity: Parameters<typeof connectNats>[0]) => {
    const nc = await connectNats(identity);
    connections.push(nc);
    return nc;
  };
  const hostBucket = async (host: string): Promise<KV> => openHostsBucket(await connect({ host }));

  beforeAll(async () => {
    for (const host of [HOST_A, HOST_B]) await attachPlane().addNatsHost(host);
  });

  afterAll(async () => {
    const admin = await openHostsBucket(await connect("admin"));
    for (const host of [HOST_A, HOST_B, ADDED_HOST]) await admin.purge(hostKey(host));
    await Promise.all(connections.map((nc) => nc.close()));
  });

  it("a host writes and reads its own key; the controller sees it", async () => {
    const kvA = await hostBucket(HOST_A);
    await kvA.put(hostKey(HOST_A), "policy-a");
    expect((await kvA.get(hostKey(HOST_A)))?.string()).toBe("policy-a");

    const controller = await openHostsBucket(await connect("controller"));
    expect((await controller.get(hostKey(HOST_A)))?.string()).toBe("policy-a");
    const keys: string[] = [];
    for await (const k of await controller.keys()) keys.push(k);
    expect(keys).toContain(HOST_A);
  });

  it("a host cannot write or read another host's key", async () => {
    const kvA = await hostBucket(HOST_A);
    await expect(kvA.put(hostKey(HOST_B), "forged")).rejects.toThrow(/Permissions Violation for Publish to "?\$KV\.cpuid-hosts\.harness-b/);
    await expect(kvA.get(hostKey(HOST_B))).rejects.toThrow(/Permissions Violation.*DIRECT\.GET.*harness-b/);
    const kvB = await hostBucket(HOST_B);
    expect(await kvB.get(hostKey(HOST_B))).toBeNull(); // nothing was written
  });

  it("a host cannot subscribe to another host's subjects, nor read the bucket via the stream API", async () => {
    const ncA = await connect({ host: HOST_A });
    const sub = ncA.subscribe(hostSubjectWildcard(HOST_B));
    const closedWith = await sub.closed;
    expect(String(closedWith)).toMatch(/Permissions Violation for Subscription to "?cpuid\.v1\.host\.harness-b\.>/);

    const js = jetstream(ncA, { checkAPI: false });
    const jsm = await js.jetstreamManager(false);
    await expect(jsm.streams.getMessage("KV_cpuid-hosts", { last_by_subj: hostKeySubject(HOST_A) })).rejects.toThrow(
      /Permissions Violation/,
    );
  });

  it("the controller's request reaches only the addressed host, which may answer it", async () => {
    const ncA = await connect({ host: HOST_A });
    ncA.subscribe(hostSubject(HOST_A, "get"), { callback: (_err, msg) => void msg.respond("from harness-a") });
    await ncA.flush();
    const controller = await connect("controller");
    const reply = await controller.request(hostSubject(HOST_A, "get"), "", { timeout: 5_000 });
    expect(reply.string()).toBe("from harness-a");
    // A host may not send requests (publish) to another host.
    await expect(ncA.request(hostSubject(HOST_B, "get"), "", { timeout: 2_000 })).rejects.toThrow(/Permissions Violation/);
  });

  it("a host added while the server runs can use its own key at once", async () => {
    await attachPlane().addNatsHost(ADDED_HOST);
    const kv = await hostBucket(ADDED_HOST);
    await kv.put(hostKey(ADDED_HOST), "policy-7");
    expect((await kv.get(hostKey(ADDED_HOST)))?.string()).toBe("policy-7");
    expect(planeInfo().hosts).not.toContain(ADDED_HOST); // provided once, at setup
    expect(attachPlane().info().hosts).toContain(ADDED_HOST);
  });

  it("nats-server restart keeps JetStream KV data", async () => {
    const before = await hostBucket(HOST_B);
    await before.put(hostKey(HOST_B), "policy-b");
    await attachPlane().restartComponent("nats-server");
    const after = await hostBucket(HOST_B);
    const entry = await eventually("read after nats-server restart", async () => {
      const e = await after.get(hostKey(HOST_B));
      if (!e) throw new Error("missing");
      return e;
    });
    expect(entry.string()).toBe("policy-b");
  });
});
