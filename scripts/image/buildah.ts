// buildah as the project runs it: its own image store in the project cache
// (vfs storage, so no overlay mounts or fuse are needed), chroot isolation
// (no user namespaces or runc needed), as root.

import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import { join } from "node:path";
import { cacheRoot } from "../../devenv/toolchain/cache.ts";
import { onPath } from "../../devenv/toolchain/xen-tools.ts";

export const IMAGE_NAME = "localhost/cpuid-fleet";

/** Why buildah cannot build here, or undefined when it can. */
export function buildahUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "the image is built as root (buildah with vfs storage and chroot isolation)";
  if (!onPath("buildah")) return "buildah is not installed (apt-get install buildah)";
  return undefined;
}

export class Buildah {
  readonly storage: string[];

  constructor(root = cacheRoot()) {
    const store = join(root, "containers");
    this.storage = ["--root", join(store, "storage"), "--runroot", join(store, "run"), "--storage-driver", "vfs"];
  }

  /** Runs `buildah <args>` with the project's store; its stdout, or an error with its stderr. */
  run(args: string[], options: SpawnSyncOptions = {}): string {
    const r = spawnSync("buildah", [...this.storage, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...options });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`buildah ${args.join(" ")} failed (exit ${r.status}): ${String(r.stderr ?? "").trim()}`);
    return String(r.stdout ?? "").trim();
  }

  /** Like run, with buildah's output shown as it goes (builds). */
  runShown(args: string[]): void {
    this.run(args, { stdio: ["ignore", "inherit", "inherit"] });
  }

  imageExists(name: string): boolean {
    return spawnSync("buildah", [...this.storage, "inspect", "--type", "image", name], { stdio: "ignore" }).status === 0;
  }

  /** The image's size in bytes: the sum of its layers, uncompressed (from its manifest). */
  imageSize(name: string): number {
    const inspected = JSON.parse(this.run(["inspect", "--type", "image", name])) as { Manifest: string };
    const manifest = JSON.parse(inspected.Manifest) as { layers: Array<{ size: number }> };
    return manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
  }
}
