// Resolving pinned binaries without building anything: the cache, PATH at the
// pinned version, and the error when Go is missing too. PATH holds only the
// test's own directory, so neither `go` nor a machine's binaries are found.

import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BINARIES, CONTROL_PLANE_BINARIES, type BinaryName } from "../../../devenv/toolchain/binaries.ts";
import { ensureBinaries, ensureControlPlaneBinaries, MissingBinaryError } from "../../../devenv/toolchain/ensure.ts";
import { cachedBinaryPath } from "../../../devenv/toolchain/resolve.ts";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function sandbox(): { cache: string; pathDir: string; env: NodeJS.ProcessEnv } {
  const root = mkdtempSync(join(tmpdir(), "cpuid-fleet-ensure-"));
  dirs.push(root);
  const cache = join(root, "cache");
  const pathDir = join(root, "path");
  mkdirSync(pathDir);
  return { cache, pathDir, env: { PATH: pathDir, CPUID_FLEET_CACHE: cache } };
}

function script(path: string, versionLine: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `#!/bin/sh\necho '${versionLine}'\n`);
  chmodSync(path, 0o755);
}

function cache(root: string, name: BinaryName): string {
  const path = cachedBinaryPath(root, BINARIES[name]);
  script(path, `${name} ${BINARIES[name].version}`);
  return path;
}

const quiet = { log: () => {} };

describe("ensureBinaries", () => {
  it("gives the control plane its four binaries from the cache without asking for promtool", async () => {
    const { cache: root, env } = sandbox();
    for (const name of CONTROL_PLANE_BINARIES) cache(root, name);
    const resolved = await ensureControlPlaneBinaries({ ...quiet, env });
    expect(Object.keys(resolved).sort()).toEqual([...CONTROL_PLANE_BINARIES].sort());
    expect(resolved.etcd).toMatchObject({ source: "cache", path: cachedBinaryPath(root, BINARIES.etcd) });
  });

  it("uses a promtool on PATH that reports the pinned version", async () => {
    const { pathDir, env } = sandbox();
    script(join(pathDir, "promtool"), `promtool, version ${BINARIES.promtool.version.slice(1)} (branch: , revision: unknown)`);
    const { promtool } = await ensureBinaries(["promtool"], { ...quiet, env });
    expect(promtool).toMatchObject({ source: "PATH", path: join(pathDir, "promtool") });
  });

  it("without Go names each missing binary, why candidates were passed over and how to fix it", async () => {
    const { pathDir, env } = sandbox();
    script(join(pathDir, "promtool"), "promtool, version 2.42.0+ds (branch: debian/sid)");
    const failure = ensureBinaries(["promtool", "kubectl"], { ...quiet, env });
    await expect(failure).rejects.toThrow(MissingBinaryError);
    const message = await failure.catch((err: Error) => err.message);
    expect(message).toContain(`- promtool ${BINARIES.promtool.version}: not in the cache`);
    expect(message).toContain(`reports "promtool, version 2.42.0+ds (branch: debian/sid)", not ${BINARIES.promtool.version}`);
    expect(message).toContain("`go` is not installed");
    expect(message).toContain(`or put promtool ${BINARIES.promtool.version} on PATH`);
    expect(message).toContain(`- kubectl ${BINARIES.kubectl.version}: not in the cache`);
    expect(message).toContain(`or set KUBEBUILDER_ASSETS to a directory holding kubectl ${BINARIES.kubectl.version}`);
  });
});
