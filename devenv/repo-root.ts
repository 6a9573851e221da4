// The repository's root directory, for everything that finds files or
// executables of the repository (bin/, crds/, examples/, node_modules/).

import { join } from "node:path";

export const REPO_ROOT = join(import.meta.dirname, "..");

/** The project's shared data (fixtures/, reference/), checked out beside the repository. */
export const SHARED_DIR = join(REPO_ROOT, "..", "shared");
