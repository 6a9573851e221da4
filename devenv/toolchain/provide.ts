// Providing missing binaries into the cache: built from Go modules one at a
// time (2 cores), under the cache lock so that concurrent runs never build the
// same thing twice.

import { existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { BINARIES, type BinaryName, type BinarySpec } from "./binaries.ts";
import { lockFile } from "./cache.ts";
import { buildEtcd, buildKubernetesCommand, buildNatsServer, buildPromtool, buildToxiproxyServer } from "./go-build.ts";
import { withFileLock } from "./lock.ts";
import { cachedBinaryPath, hasVersion } from "./resolve.ts";
import { formatDuration } from "./run-logged.ts";

export async function provideMissing(names: readonly BinaryName[], root: string, log: (line: string) => void): Promise<void> {
  await withFileLock(lockFile(root), { purpose: `providing ${names.join(", ")}`, log }, async () => {
    for (const name of names) {
      const spec = BINARIES[name];
      const outFile = cachedBinaryPath(root, spec);
      if (existsSync(outFile)) continue; // another run provided it while we waited for the lock
      await provide(spec, root, outFile, log);
    }
  });
}

async function provide(spec: BinarySpec, root: string, outFile: string, log: (line: string) => void): Promise<void> {
  mkdirSync(dirname(outFile), { recursive: true });
  const ctx = { cacheRoot: root, log };
  const started = Date.now();
  log(`building ${spec.name} ${spec.version} from Go modules into ${outFile} (a cold build takes minutes; see BENCHMARKS.md)`);
  switch (spec.name) {
    case "nats-server":
      await buildNatsServer(ctx, spec.version, outFile);
      break;
    case "etcd":
      await buildEtcd(ctx, spec.version, outFile);
      break;
    case "kube-apiserver":
    case "kubectl":
      await buildKubernetesCommand(ctx, spec.name, spec.version, outFile);
      break;
    case "promtool":
      await buildPromtool(ctx, spec.version, outFile);
      break;
    case "toxiproxy-server":
      await buildToxiproxyServer(ctx, spec.version, outFile);
      break;
  }
  if (!hasVersion(outFile, spec, log)) {
    rmSync(outFile, { force: true });
    throw new Error(`the provided ${spec.name} does not report ${spec.version}; removed it from the cache`);
  }
  log(`${spec.name} ${spec.version} ready after ${formatDuration(Date.now() - started)}`);
}
