// Installs CustomResourceDefinitions from YAML files and waits until the API
// serves them: condition Established=True and the resource listed in
// discovery (what envtest's WaitForCRDs checks).

import * as k8s from "@kubernetes/client-node";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export function crdFilesIn(dirs: readonly string[]): string[] {
  const files: string[] = [];
  for (const dir of dirs) {
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry);
      if (/\.ya?ml$/.test(entry) && statSync(path).isFile()) files.push(path);
    }
  }
  return files;
}

export function loadCrds(files: readonly string[]): k8s.V1CustomResourceDefinition[] {
  return files.flatMap((file) =>
    (k8s.loadAllYaml(readFileSync(file, "utf8")) as k8s.KubernetesObject[]).filter(
      (o): o is k8s.V1CustomResourceDefinition => o?.kind === "CustomResourceDefinition",
    ),
  );
}

/** Creates (or replaces) each CRD, then waits for all of them to be served. */
export async function installCrds(kubeconfigPath: string, dirs: readonly string[], timeoutMs = 60_000): Promise<string[]> {
  const crds = loadCrds(crdFilesIn(dirs));
  if (crds.length === 0) return [];
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const api = kc.makeApiClient(k8s.ApiextensionsV1Api);
  await Promise.all(crds.map((crd) => createOrReplace(api, crd)));
  const deadline = Date.now() + timeoutMs;
  await Promise.all(crds.map((crd) => waitServed(kc, api, crd, deadline)));
  return crds.map((crd) => crd.metadata!.name!);
}

async function createOrReplace(api: k8s.ApiextensionsV1Api, crd: k8s.V1CustomResourceDefinition): Promise<void> {
  try {
    await api.createCustomResourceDefinition({ body: crd });
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
    const name = crd.metadata!.name!;
    const existing = await api.readCustomResourceDefinition({ name });
    await api.replaceCustomResourceDefinition({
      name,
      body: { ...crd, metadata: { ...crd.metadata, resourceVersion: existing.metadata?.resourceVersion } },
    });
  }
}

async function waitServed(
  kc: k8s.KubeConfig,
  api: k8s.ApiextensionsV1Api,
  crd: k8s.V1CustomResourceDefinition,
  deadline: number,
): Promise<void> {
  const name = crd.metadata!.name!;
  const { group, names, versions } = crd.spec;
  const discovery = kc.makeApiClient(k8s.CustomObjectsApi);
  let last = "not created";
  while (Date.now() < deadline) {
    const current = await api.readCustomResourceDefinition({ name });
    const established = current.status?.conditions?.some((c) => c.type === "Established" && c.status === "True");
    last = established ? "established, not yet in discovery" : `conditions ${JSON.stringify(current.status?.conditions ?? [])}`;
    if (established) {
      const served = versions.filter((v) => v.served);
      const listed = await Promise.all(served.map((v) => discoveryLists(discovery, group, v.name, names.plural)));
      if (listed.every(Boolean)) return;
    }
    await sleep(100);
  }
  throw new Error(`CRD ${name} not served in time: ${last}`);
}

async function discoveryLists(api: k8s.CustomObjectsApi, group: string, version: string, plural: string): Promise<boolean> {
  try {
    const list = await api.getAPIResources({ group, version });
    return list.resources.some((r) => r.name === plural);
  } catch {
    return false;
  }
}
