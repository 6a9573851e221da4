// The controller's apiserver client (ObjectWriter over KubeRest) under the
// concurrency it runs with: every status write over the shared pool succeeds
// (node-fetch 2, inside client-node, once failed ~40 % of them with a false
// "Premature close", node-fetch#1767); refusals and cut connections are
// reported with the request they belong to; a kubeconfig's proxy-url is
// followed.

import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadKubeConfig } from "../../../controller/kube/kube-config.ts";
import { ApiserverThrottle } from "../../../controller/kube/apiserver-throttle.ts";
import { KubeRest } from "../../../controller/kube/kube-rest.ts";
import { httpStatusOf } from "../../../controller/kube/api-error.ts";
import { ObjectWriter } from "../../../controller/kube/object-writer.ts";
import { KubeRequestError } from "../../../controller/kube/kube-rest.ts";
import { API_GROUP, API_VERSION, DOMAIN_PLURAL } from "../../../shared/api/v1alpha1/names.ts";
import type { DomainCpuidPolicyObject, DomainCpuidPolicyStatus } from "../../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { ensureNamespace, kubectlOk } from "../../e2e/fleet.ts";
import { planeInfo } from "../../harness/context.ts";

const NS = "object-writer";
/** a status as large as real ones, so that the apiserver's replies are chunked like theirs */
const bigStatus = (i: number): DomainCpuidPolicyStatus => ({
  observedGeneration: 1,
  lastRequestId: `r-${i}`,
  conditions: ["Audited", "Applied", "Ready"].map((type) => ({
    type,
    status: "True" as const,
    reason: "Applied",
    message: `applied on host h to domain d-${i}; `.repeat(12),
    lastTransitionTime: "2026-11-27T00:00:00Z",
    observedGeneration: 1,
  })),
  removedFeatures: ["avx512f", "avx512dq", "avx512-ifma", "avx512cd", "avx512bw", "avx512vl", "avx512-vbmi", "avx512-vbmi2", "avx512-vnni", "avx512-bitalg"],
});
const COUNT = 120;
const CONCURRENCY = 96;

let writer: ObjectWriter;
const objects: DomainCpuidPolicyObject[] = [];
const noThrottle = () => new ApiserverThrottle({ baseMs: 1_000, maxMs: 2_000, openAt: 1 }, { throttled: () => {}, gate: () => {} });

/** The plane's kubeconfig with settings of its cluster changed (server, proxy-url, CA). */
function kubeConfigWith(cluster: { server?: string; proxyUrl?: string; skipTLSVerify?: boolean; caData?: string; caFile?: string }): KubeConfig {
  const base = loadKubeConfig(planeInfo().kubeconfig);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({ clusters: base.clusters.map((c) => ({ ...c, ...cluster })), users: base.users, contexts: base.contexts, currentContext: base.currentContext });
  return kubeConfig;
}

async function listening(server: Server): Promise<number> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  await ensureNamespace(NS);
  const kubeConfig = loadKubeConfig(planeInfo().kubeconfig);
  writer = new ObjectWriter(kubeConfig, new KubeRest(kubeConfig), noThrottle());
  for (let i = 0; i < COUNT; i += CONCURRENCY) {
    const batch = Array.from({ length: Math.min(CONCURRENCY, COUNT - i) }, (_, j) =>
      writer.api.createNamespacedCustomObject({
        group: API_GROUP,
        version: API_VERSION,
        plural: DOMAIN_PLURAL,
        namespace: NS,
        body: { apiVersion: `${API_GROUP}/${API_VERSION}`, kind: "DomainCpuidPolicy", metadata: { name: `w-${i + j}` }, spec: { host: "h", domain: `d-${i + j}`, guestType: "hvm" } },
      }) as Promise<DomainCpuidPolicyObject>,
    );
    objects.push(...(await Promise.all(batch)));
  }
});

afterAll(async () => {
  await kubectlOk(["delete", "dcp", "--all", "-n", NS, "--wait=false"]);
});

describe("ObjectWriter", () => {
  it(`writes ${COUNT} statuses, ${CONCURRENCY} at a time, over the shared pool without a single failure`, async () => {
    const results = await Promise.allSettled(objects.map((obj, i) => writer.patchDomainStatus(obj, obj.status, bigStatus(i))));
    const failures = results.flatMap((r) => (r.status === "rejected" ? [String((r.reason as Error).message)] : []));
    expect(failures).toEqual([]);
    const listed = JSON.parse(await kubectlOk(["get", "dcp", "-n", NS, "-o", "json", "--show-managed-fields"])) as { items: DomainCpuidPolicyObject[] };
    expect(listed.items.filter((o) => o.status?.lastRequestId?.startsWith("r-")).length).toBe(COUNT);
    expect(listed.items[0].metadata.managedFields).toContainEqual(expect.objectContaining({ manager: "cpuid-fleet-controller", operation: "Update", subresource: "status" }));
  });

  it("a refusal carries the HTTP status, the apiserver's reason and its Status body", async () => {
    const gone = { ...objects[0], metadata: { ...objects[0].metadata, name: "w-missing" } };
    const err = await writer.patchDomainStatus(gone, undefined, bigStatus(0)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeRequestError);
    expect(httpStatusOf(err)).toBe(404);
    expect((err as Error).message).toBe(`PATCH /apis/${API_GROUP}/${API_VERSION}/namespaces/${NS}/${DOMAIN_PLURAL}/w-missing/status: HTTP 404: ${DOMAIN_PLURAL}.${API_GROUP} "w-missing" not found`);
    expect((err as KubeRequestError).body).toMatchObject({ kind: "Status", reason: "NotFound", code: 404 });
    expect((err as KubeRequestError).headers["content-type"]).toBe("application/json");
  });

  it("creates and deletes HostCpuidPolicies, and a second create is a 409", async () => {
    const name = "object-writer-host";
    const created = await writer.createHost(name);
    expect(created).toMatchObject({ kind: "HostCpuidPolicy", metadata: { name } });
    expect(httpStatusOf(await writer.createHost(name).catch((e: unknown) => e))).toBe(409);
    await writer.deleteHost(name);
    expect(httpStatusOf(await writer.deleteHost(name).catch((e: unknown) => e))).toBe(404);
  });

  it("follows the kubeconfig's proxy-url: the writes tunnel through an HTTP CONNECT proxy", async () => {
    const tunnels: string[] = [];
    const proxy = createServer();
    proxy.on("connect", (req, client, head) => {
      tunnels.push(req.url ?? "");
      const target = new URL(`http://${req.url}`);
      const upstream = connect(Number(target.port), target.hostname, () => {
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        upstream.write(head);
        upstream.pipe(client).pipe(upstream);
      });
      upstream.on("error", () => client.destroy());
      client.on("error", () => upstream.destroy());
    });
    const port = await listening(proxy);
    const kubeConfig = kubeConfigWith({ proxyUrl: `http://127.0.0.1:${port}` });
    try {
      const stored = await new ObjectWriter(kubeConfig, new KubeRest(kubeConfig), noThrottle()).patchDomainStatus(objects[1], undefined, bigStatus(1001));
      expect((JSON.parse(stored) as DomainCpuidPolicyObject).status?.lastRequestId).toBe("r-1001");
      expect(tunnels).toEqual([new URL(kubeConfig.getCurrentCluster()!.server).host]);
    } finally {
      proxy.closeAllConnections();
      proxy.close();
    }
  });

  it("refuses an apiserver whose certificate the kubeconfig's CA did not sign", async () => {
    const kubeConfig = kubeConfigWith({ caData: undefined, caFile: undefined });
    const err = await new ObjectWriter(kubeConfig, new KubeRest(kubeConfig), noThrottle()).patchDomainStatus(objects[0], undefined, bigStatus(0)).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(KubeRequestError);
    expect((err as Error).message).toMatch(/: (self-signed certificate|unable to (get|verify))/);
  });

  it("a connection cut before the answer rejects with the request named, not as an HTTP refusal", async () => {
    const cutter = createServer((req) => req.socket.destroy());
    const port = await listening(cutter);
    const kubeConfig = kubeConfigWith({ server: `http://127.0.0.1:${port}`, skipTLSVerify: true });
    try {
      const err = await new ObjectWriter(kubeConfig, new KubeRest(kubeConfig), noThrottle()).patchDomainStatus(objects[0], undefined, bigStatus(0)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(KubeRequestError);
      expect(httpStatusOf(err)).toBeUndefined();
      expect((err as Error).message).toMatch(new RegExp(`^PATCH /apis/${API_GROUP}/${API_VERSION}/namespaces/${NS}/${DOMAIN_PLURAL}/w-0/status: `));
    } finally {
      cutter.close();
    }
  });
});
