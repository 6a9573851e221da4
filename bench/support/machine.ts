// The machine a benchmark ran on, for the first line of its output (BENCHMARKS.md names it with every figure).

import { cpus } from "node:os";

/** "2 cores (AMD EPYC …), Node v24.…" */
export const machine = (): string => `${cpus().length} cores (${cpus()[0]?.model.trim() ?? "?"}), Node ${process.version}`;
