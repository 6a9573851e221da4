// examples/*.yaml: the DomainCpuidPolicies the demo applies with the real
// kubectl, as a user would.

import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import type { PlaneInfo } from "../../devenv/plane/control-plane.ts";
import { EXAMPLES_DIR } from "./hosts.ts";

export interface ExamplePolicy {
  name: string;
  namespace: string;
  host: string;
  domain: string;
  file: string;
}

export function examplePolicies(dir = EXAMPLES_DIR): ExamplePolicy[] {
  const policies: ExamplePolicy[] = [];
  for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), "utf8"))) {
      const obj = doc.toJS() as { kind?: string; metadata?: { name?: string; namespace?: string }; spec?: { host?: string; domain?: string } } | null;
      if (obj?.kind !== "DomainCpuidPolicy") continue;
      policies.push({
        name: obj.metadata?.name ?? "",
        namespace: obj.metadata?.namespace ?? "default",
        host: obj.spec?.host ?? "",
        domain: obj.spec?.domain ?? "",
        file,
      });
    }
  }
  return policies;
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
