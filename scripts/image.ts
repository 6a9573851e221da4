// npm run image: builds Containerfile with buildah (vfs storage in the project
// cache, chroot isolation) and writes the image as an OCI archive to
// .cpuid-fleet/image/cpuid-fleet-<version>.oci.tar. Without NODE_BASE the
// base is assembled here from Debian packages and npm's Node 24
// (scripts/image/node-base.ts); NODE_BASE=<image> builds on that image
// instead (for example a registry's node:24-bookworm-slim, where one is reachable).
//
//   npm run image             build, write the archive, print sizes and times

import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../devenv/repo-root.ts";
import { formatDuration } from "../devenv/toolchain/run-logged.ts";
import { Buildah, buildahUnavailable, IMAGE_NAME } from "./image/buildah.ts";
import { ensureNodeBase } from "./image/node-base.ts";
import packageJson from "../package.json" with { type: "json" };

export interface BuiltImage {
  /** name:tag in the project's buildah store */
  image: string;
  base: string;
  /** bytes, the layers uncompressed */
  size: number;
  archive: string;
  archiveSize: number;
  baseMs: number;
  buildMs: number;
  archiveMs: number;
}

export const IMAGE = `${IMAGE_NAME}:${packageJson.version}`;
export const IMAGE_ARCHIVE = join(REPO_ROOT, ".cpuid-fleet", "image", `cpuid-fleet-${packageJson.version}.oci.tar`);

const log = (line: string) => console.log(`[image] ${line}`);

async function timed<T>(body: () => Promise<T> | T): Promise<[T, number]> {
  const started = Date.now();
  return [await body(), Date.now() - started];
}

/** The CA bundle this machine's Node trusts (NODE_EXTRA_CA_CERTS), lent to the build stage's npm: the registry may be behind a TLS-intercepting proxy. */
function hostTrust(): string[] {
  const bundle = process.env.NODE_EXTRA_CA_CERTS;
  if (!bundle || !existsSync(bundle)) return [];
  const inBuild = "/run/host-ca-certificates.crt";
  return ["--volume", `${bundle}:${inBuild}:ro`, "--build-arg", `NODE_EXTRA_CA_CERTS=${inBuild}`];
}

export async function buildImage(buildah = new Buildah(), nodeBase = process.env.NODE_BASE): Promise<BuiltImage> {
  const why = buildahUnavailable();
  if (why) throw new Error(why);
  const [base, baseMs] = await timed(() => nodeBase ?? ensureNodeBase(buildah, log));
  log(`building ${IMAGE} from Containerfile on ${base} (buildah, vfs, chroot isolation)`);
  const [, buildMs] = await timed(() =>
    buildah.runShown(["build", "--isolation", "chroot", "--layers", "--build-arg", `NODE_BASE=${base}`, ...hostTrust(), "-f", join(REPO_ROOT, "Containerfile"), "-t", IMAGE, REPO_ROOT]),
  );
  log(`writing ${IMAGE_ARCHIVE}`);
  mkdirSync(join(REPO_ROOT, ".cpuid-fleet", "image"), { recursive: true });
  rmSync(IMAGE_ARCHIVE, { force: true });
  const [, archiveMs] = await timed(() => buildah.run(["push", "--quiet", IMAGE, `oci-archive:${IMAGE_ARCHIVE}:${IMAGE.replace(`${IMAGE_NAME}:`, "cpuid-fleet:")}`]));
  return { image: IMAGE, base, size: buildah.imageSize(IMAGE), archive: IMAGE_ARCHIVE, archiveSize: statSync(IMAGE_ARCHIVE).size, baseMs, buildMs, archiveMs };
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

if (import.meta.main) {
  try {
    const b = await buildImage();
    log(`image ${b.image}: ${mb(b.size)} uncompressed; archive ${b.archive}: ${mb(b.archiveSize)}`);
    log(`base ${formatDuration(b.baseMs)}, build ${formatDuration(b.buildMs)}, archive ${formatDuration(b.archiveMs)}`);
  } catch (err) {
    console.error(`[image] failed: ${(err as Error).message}`);
    process.exit(1);
  }
}
