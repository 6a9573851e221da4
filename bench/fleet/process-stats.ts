// Memory and CPU of a process from /proc, sampled while the benchmark runs.

import { readFileSync } from "node:fs";

export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** utime + stime in seconds */
export function cpuSeconds(pid: number): number {
  const { user, system } = cpuTimes(pid);
  return user + system;
}

/** CPU in user space (utime) and in the kernel on the process's behalf (stime), in seconds */
export function cpuTimes(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
}

export class RssSampler {
  peakMb = 0;
  lastMb = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(pid: number, intervalMs = 250) {
    const sample = () => {
      try {
        this.lastMb = rssMb(pid);
        this.peakMb = Math.max(this.peakMb, this.lastMb);
      } catch {
        // the process is gone
      }
    };
    sample();
    this.#timer = setInterval(sample, intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
