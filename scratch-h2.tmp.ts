import { connect as h2connect, constants } from "node:http2";
import { request as httpsRequest, Agent } from "node:https";
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { loadKubeConfig } from "./controller/kube/kube-config.ts";
import { ControlPlane } from "./devenv/plane/control-plane.ts";
import { ensureControlPlaneBinaries } from "./devenv/toolchain/ensure.ts";
import { forEachBounded } from "./bench/fleet/policies.ts";

const N = Number(process.env.N ?? 2000);
const plane = await ControlPlane.start({ hosts: [], binaries: await ensureControlPlaneBinaries(), keep: false });
try {
  const kc = loadKubeConfig(plane.info().kubeconfig);
  const api = kc.makeApiClient(CustomObjectsApi);
  await (kc.makeApiClient((await import("@kubernetes/client-node")).CoreV1Api)).createNamespace({ body: { metadata: { name: "b" } } });
  const names = Array.from({ length: N }, (_, i) => `p${i}`);
  await forEachBounded(names, 32, (name) => api.createNamespacedCustomObject({ group: "cpuidfleet.io", version: "v1alpha1", plural: "domaincpuidpolicies", namespace: "b", body: { apiVersion: "cpuidfleet.io/v1alpha1", kind: "DomainCpuidPolicy", metadata: { name }, spec: { host: "h", domain: name, guestType: "hvm", baseline: "default" } } }));
  const status = (round: number) => ({ status: { observedGeneration: round, policyHash: "sha256:" + "ab".repeat(32), phase: "Applied", conditions: ["Ready", "Applied", "Audited", "Migratable"].map((type) => ({ type, status: "True", reason: "Applied" + round, message: "the policy is applied to the domain on host h; " + "x".repeat(80), lastTransitionTime: "2026-12-07T02:00:00Z", observedGeneration: 1 })), acceptingHosts: { count: 300, hosts: Array.from({ length: 10 }, (_, i) => `bench-${i}`) } } });
  const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
  const opts: any = {}; await kc.applyToHTTPSOptions(opts);
  const server = new URL(kc.getCurrentCluster()!.server);
  const path = (n: string) => `/apis/cpuidfleet.io/v1alpha1/namespaces/b/domaincpuidpolicies/${n}/status?fieldManager=x`;
  const agent = new Agent({ keepAlive: true, ca: opts.ca, cert: opts.cert, key: opts.key });
  const session = h2connect(server.origin, { ca: opts.ca, cert: opts.cert, key: opts.key });
  const methods: Record<string, (name: string, round: number) => Promise<unknown>> = {
    "client-node": (name, round) => api.patchNamespacedCustomObjectStatus({ group: "cpuidfleet.io", version: "v1alpha1", plural: "domaincpuidpolicies", namespace: "b", name, body: status(round), fieldManager: "x" }, mergePatch),
    "https": (name, round) => new Promise((resolve, reject) => {
      const body = JSON.stringify(status(round));
      const req = httpsRequest({ agent, host: server.hostname, port: server.port, method: "PATCH", path: path(name), headers: { "content-type": "application/merge-patch+json", "content-length": Buffer.byteLength(body), accept: "application/json" } }, (res) => {
        const chunks: Buffer[] = []; res.on("data", (c) => chunks.push(c)); res.on("end", () => { if (res.statusCode !== 200) reject(new Error(String(res.statusCode))); else resolve(JSON.parse(Buffer.concat(chunks).toString())); });
      });
      req.on("error", reject); req.end(body);
    }),
    "http2": (name, round) => new Promise((resolve, reject) => {
      const body = JSON.stringify(status(round));
      const req = session.request({ [constants.HTTP2_HEADER_METHOD]: "PATCH", [constants.HTTP2_HEADER_PATH]: path(name), "content-type": "application/merge-patch+json", accept: "application/json" });
      let code = 0; req.on("response", (h) => (code = Number(h[":status"])));
      const chunks: Buffer[] = []; req.on("data", (c) => chunks.push(c)); req.on("end", () => { if (code !== 200) reject(new Error(String(code))); else resolve(JSON.parse(Buffer.concat(chunks).toString())); });
      req.on("error", reject); req.end(body);
    }),
  };
  let round = 0;
  for (const rep of [1, 2]) for (const [m, fn] of Object.entries(methods)) {
    round++;
    const t0 = performance.now(); const c0 = process.cpuUsage();
    await forEachBounded(names, 32, (n) => fn(n, round));
    const c = process.cpuUsage(c0); const wall = performance.now() - t0;
    console.log(`${m.padEnd(12)} rep ${rep}: ${(N / (wall / 1000)).toFixed(0)} patches/s, client CPU ${((c.user + c.system) / 1000 / N).toFixed(3)} ms/patch (user ${(c.user / 1000 / N).toFixed(3)}, sys ${(c.system / 1000 / N).toFixed(3)})`);
  }
  session.close();
} finally { await plane.stop(); }
