// The container image, built by the code behind `npm run image` (buildah,
// the assembled Node 24 base; cached layers make a rebuild quick): both
// daemons answer --help inside it, it runs as the non-root user with no npm,
// and the controller started from it (buildah run, chroot isolation, this
// machine's network) becomes ready against the local control plane: its
// apiserver, its NATS server with the controller's own identity.
// Slow when cold (see BENCHMARKS.md), so not part of npm test: .ci/image runs it.

import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DaemonProcess } from "../../devenv/daemons/daemon-process.ts";
import { LEASE_NAMESPACE } from "../../devenv/daemons/controller.ts";
import { freePorts } from "../../devenv/plane/ports.ts";
import { serviceSeedFile } from "../../shared/nats/credentials-layout.ts";
import { Buildah } from "../../scripts/image/buildah.ts";
import { buildImage, type BuiltImage } from "../../scripts/image.ts";
import { ensureNamespace } from "./fleet.ts";
import { planeInfo } from "../harness/context.ts";

const IMAGE_UID = 65532;
const buildah = new Buildah();
const work = mkdtempSync(join(tmpdir(), "image-test-"));
// buildah's chroot isolation puts a fresh /run (so /var/run) over the image: mounts go under /etc
const containers: string[] = [];
let built: BuiltImage;

function inImage(command: string[], mounts: string[] = []): { status: number | null; stdout: string; stderr: string } {
  const container = buildah.run(["from", "--quiet", built.image]);
  containers.push(container);
  const r = spawnSync("buildah", [...buildah.storage, "run", "--isolation", "chroot", ...mounts.flatMap((m) => ["--volume", m]), container, "--", ...command], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A copy of `file` as a Secret volume with defaultMode 0400 and fsGroup 65532 gives it: root:65532, mode 0440. */
function asSecretFile(file: string, name: string): string {
  const copy = join(work, name);
  copyFileSync(file, copy);
  chownSync(copy, 0, IMAGE_UID);
  chmodSync(copy, 0o440);
  return copy;
}

beforeAll(async () => {
  built = await buildImage(buildah);
}, 3_600_000);

afterAll(() => {
  for (const c of containers) spawnSync("buildah", [...buildah.storage, "rm", c], { stdio: "ignore" });
  rmSync(work, { recursive: true, force: true });
});

describe("the cpuid-fleet image", () => {
  it("is written as an OCI archive", () => {
    expect(existsSync(built.archive)).toBe(true);
    expect(built.archiveSize).toBeGreaterThan(0);
    const index = spawnSync("tar", ["-xOf", built.archive, "index.json"], { encoding: "utf8" });
    expect(JSON.parse(index.stdout)).toMatchObject({ manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json" }] });
  });

  it.each([
    ["cpuid-fleet-controller", /^usage: cpuid-fleet-controller \[options\]/],
    ["cpuid-fleet-agent", /^usage: cpuid-fleet-agent \[options\]/],
  ])("runs %s --help", (daemon, usage) => {
    const r = inImage([daemon, "--help"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(usage);
  });

  it("runs as uid 65532, on Node 24, without npm or the TypeScript sources", () => {
    const r = inImage(["sh", "-c", "id -u; node --version; command -v npm || echo no-npm; ls /opt/cpuid-fleet"]);
    expect(r.status, r.stderr).toBe(0);
    const [uid, version, npm, ...entries] = r.stdout.trim().split("\n");
    expect(uid).toBe(String(IMAGE_UID));
    expect(version).toMatch(/^v24\./);
    expect(npm).toBe("no-npm");
    expect(entries.sort()).toEqual(["bin", "dist", "node_modules", "package.json"]);
  });

  it("refuses to start the controller without its seed (the Secret's key), exit 2", () => {
    const r = inImage(["cpuid-fleet-controller", "--nats-seed-file", "/var/run/cpuid-fleet/creds/controller.nk"]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain("key controller.nk of the Secret cpuid-fleet-controller-nats");
  });

  it("starts the controller against the local control plane and becomes ready", async () => {
    const plane = planeInfo();
    await ensureNamespace(LEASE_NAMESPACE);
    const kubeconfig = asSecretFile(plane.kubeconfig, "kubeconfig");
    const seed = asSecretFile(serviceSeedFile(plane.credsDir, "controller"), "controller.nk");
    const container = buildah.run(["from", "--quiet", built.image]);
    containers.push(container);
    const [port] = await freePorts(1);
    const controller = new DaemonProcess({
      name: "cpuid-fleet-controller (image)",
      command: "buildah",
      args: [
        ...buildah.storage,
        "run",
        "--isolation",
        "chroot",
        "--volume",
        `${kubeconfig}:/etc/cpuid-fleet/kubeconfig:ro`,
        "--volume",
        `${seed}:/etc/cpuid-fleet/creds/controller.nk:ro`,
        container,
        "--",
        "cpuid-fleet-controller",
        "--kubeconfig=/etc/cpuid-fleet/kubeconfig",
        `--nats-url=${plane.natsUrl}`,
        "--nats-seed-file=/etc/cpuid-fleet/creds/controller.nk",
        `--lease-namespace=${LEASE_NAMESPACE}`,
        `--metrics-listen=127.0.0.1:${port}`,
        "--identity=image-test",
      ],
      logFile: join(work, "controller.log"),
      metricsPort: port,
    });
    try {
      await controller.waitReady(120_000);
      expect(await controller.metrics()).toMatch(/^cpuid_controller_nats_connected 1$/m);
    } finally {
      await controller.stop();
    }
  });
});
