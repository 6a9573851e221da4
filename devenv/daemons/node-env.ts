// Environment of the Node processes a local fleet starts: V8's compile cache
// in the binary cache directory, so the controller and agents, which compile
// the same TypeScript on every start, start faster from the second run on.

import { join } from "node:path";
import { cacheRoot } from "../toolchain/cache.ts";

export function fleetNodeEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, NODE_COMPILE_CACHE: join(cacheRoot(), "node-compile-cache"), ...extra };
}
