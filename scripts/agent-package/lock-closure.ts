// The installed packages a set of packages needs at run time, from
// package-lock.json: Node's lookup (the nearest node_modules/<name> up from
// the requiring package) over the lock's paths, following dependencies,
// optionalDependencies and peerDependencies that are installed.

interface LockEntry {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  dev?: boolean;
}

export interface PackageLock {
  packages: Record<string, LockEntry>;
}

/** The lock path Node finds for `name` required from the package at `from` ("" = the project). */
function resolveIn(lock: PackageLock, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = `${base ? `${base}/` : ""}node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (!base) return undefined;
    const up = base.lastIndexOf("/node_modules/");
    base = up < 0 ? "" : base.slice(0, up);
  }
}

/** Lock paths (node_modules/…) of `roots` and everything they need, sorted; throws for a root that is not installed. */
export function lockClosure(lock: PackageLock, roots: readonly string[]): string[] {
  const seen = new Set<string>();
  const visit = (from: string, name: string, required: boolean) => {
    const path = resolveIn(lock, from, name);
    if (!path) {
      if (required) throw new Error(`${name} (needed by ${from || "the project"}) is not in package-lock.json`);
      return;
    }
    if (seen.has(path)) return;
    seen.add(path);
    const e = lock.packages[path];
    for (const dep of Object.keys(e.dependencies ?? {})) visit(path, dep, true);
    for (const dep of [...Object.keys(e.optionalDependencies ?? {}), ...Object.keys(e.peerDependencies ?? {})]) visit(path, dep, false);
  };
  for (const root of roots) visit("", root, true);
  return [...seen].sort();
}
