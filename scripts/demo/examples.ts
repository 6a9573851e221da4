// examples/*.yaml: the DomainCpuidPolicies the demo applies with the real
// kubectl, as a user would; examples/pools/*.yaml: its CpuidPools, applied
// once the hosts are mirrored.

import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import type { PlaneInfo } from "../../devenv/plane/control-plane.ts";
import { EXAMPLES_DIR, POOLS_DIR, ROLLOUTS_DIR } from "./hosts.ts";

export interface ExamplePolicy {
  name: string;
  namespace: string;
  host: string;
  domain: string;
  file: string;
}

interface ExampleDoc {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: { host?: string; domain?: string };
}

function exampleDocs(dir: string): { doc: ExampleDoc; file: string }[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .flatMap((file) => parseAllDocuments(readFileSync(join(dir, file), "utf8")).map((d) => ({ doc: (d.toJS() ?? {}) as ExampleDoc, file })));
}

export function examplePolicies(dir = EXAMPLES_DIR): ExamplePolicy[] {
  return exampleDocs(dir)
    .filter(({ doc }) => doc.kind === "DomainCpuidPolicy")
    .map(({ doc, file }) => ({
      name: doc.metadata?.name ?? "",
      namespace: doc.metadata?.namespace ?? "default",
      host: doc.spec?.host ?? "",
      domain: doc.spec?.domain ?? "",
      file,
    }));
}

/** names of the CpuidPools in examples/pools/ */
export function examplePools(dir = POOLS_DIR): string[] {
  return exampleNames(dir, "CpuidPool");
}

export function exampleRollouts(dir = ROLLOUTS_DIR): string[] {
  return exampleNames(dir, "CpuidRollout");
}

function exampleNames(dir: string, kind: string): string[] {
  return exampleDocs(dir)
    .filter(({ doc }) => doc.kind === kind)
    .map(({ doc }) => doc.metadata?.name ?? "");
}

/** `kubectl apply -f <dir>`; resolves with kubectl's output lines, rejects on a non-zero exit. */
export function kubectlApply(plane: PlaneInfo, dir = EXAMPLES_DIR): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(plane.binaries.kubectl, ["apply", "-f", dir], {
      env: { ...process.env, KUBECONFIG: plane.kubeconfig, KUBECACHEDIR: plane.kubectlCacheDir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.once("error", reject);
    child.once("close", (status) => {
      const lines = out.split("\n").filter(Boolean);
      if (status === 0) resolve(lines);
      else reject(new Error(`kubectl apply -f ${dir} failed (exit ${status}):\n${lines.join("\n")}`));
    });
  });
}
