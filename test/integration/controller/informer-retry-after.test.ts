// An informer whose list the apiserver refuses with 429 and Retry-After (as
// it does while its cache of a new resource is still filling) waits as long
// as it was asked before listing again, even when its own backoff is
// shorter, and logs the refusal by its status and message rather than
// client-node's dump of the whole answer.

import { Writable } from "node:stream";
import { CustomObjectsApi, KubeConfig, type KubernetesListObject } from "@kubernetes/client-node";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ResilientInformer } from "../../../controller/kube/informer.ts";
import { loadKubeConfig } from "../../../controller/kube/kube-config.ts";
import { API_GROUP, API_VERSION, DOMAIN_PLURAL } from "../../../shared/api/v1alpha1/names.ts";
import type { DomainCpuidPolicyObject } from "../../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { applyDomainPolicy, ensureNamespace } from "../../e2e/fleet.ts";
import { planeInfo } from "../../harness/context.ts";
import { ThrottlingApiRelay } from "../../support/throttling-api-relay.ts";

const NS = "informer-retry-after";
const PATH = `/apis/${API_GROUP}/${API_VERSION}/namespaces/${NS}/${DOMAIN_PLURAL}`;
const REFUSALS = 2;
/** far shorter than the apiserver's Retry-After of 1 s */
const BACKOFF = { baseMs: 50, maxMs: 100 };

let relay: ThrottlingApiRelay;
let informer: ResilientInformer<DomainCpuidPolicyObject>;
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  await ensureNamespace(NS);
  await applyDomainPolicy("listed", NS, { host: "some-host", domain: "vm-1", guestType: "hvm" });
  relay = await ThrottlingApiRelay.start(loadKubeConfig(planeInfo().kubeconfig), PATH, REFUSALS);
  const viaRelay = new KubeConfig();
  viaRelay.loadFromOptions({
    // client-node refuses an http:// server unless TLS checks are off: there is no TLS to check
    clusters: [{ name: "relay", server: relay.url, skipTLSVerify: true }],
    users: [{ name: "relayed" }],
    contexts: [{ name: "relay", cluster: "relay", user: "relayed" }],
    currentContext: "relay",
  });
  const api = viaRelay.makeApiClient(CustomObjectsApi);
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  informer = new ResilientInformer<DomainCpuidPolicyObject>({
    kubeConfig: viaRelay,
    path: PATH,
    list: () => api.listNamespacedCustomObject({ group: API_GROUP, version: API_VERSION, namespace: NS, plural: DOMAIN_PLURAL }) as Promise<KubernetesListObject<DomainCpuidPolicyObject>>,
    log: pino(sink),
    backoff: BACKOFF,
  });
  await informer.start();
}, 30_000);

afterAll(async () => {
  await informer?.stop();
  await relay?.close();
});

describe("an informer refused with 429 and Retry-After", () => {
  it("lists again only after the Retry-After, then syncs", () => {
    expect(relay.lists.map((l) => l.refused)).toEqual([...Array<boolean>(REFUSALS).fill(true), false]);
    for (let i = 1; i < relay.lists.length; i++) expect(relay.lists[i].at - relay.lists[i - 1].at).toBeGreaterThanOrEqual(1_000);
    expect(informer.synced).toBe(true);
    expect(informer.list().map((o) => o.metadata.name)).toEqual(["listed"]);
  });

  it("logs each refusal by its status and the apiserver's message, with the wait it keeps", () => {
    const warnings = logLines.filter((l) => l.msg === "informer stopped; restarting");
    expect(warnings).toHaveLength(REFUSALS);
    for (const w of warnings) {
      expect(w.err).toBe("HTTP 429: storage is (re)initializing");
      expect(w.retryInMs).toBe(1_000);
      expect(w.path).toBe(PATH);
    }
  });
});
