// Timing in-process work for the benchmarks: warm-up, then the median of many samples.

/**
 * Median seconds per call of `fn`, timed in batches of `batch` calls: wall
 * clock, and this process's CPU time (what one core costs when the machine
 * is shared with other work).
 */
export function median(fn: () => unknown, batch: number, samples: number): { wall: number; cpu: number } {
  for (let i = 0; i < Math.max(3, samples / 4); i++) for (let j = 0; j < batch; j++) fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let s = 0; s < samples; s++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let j = 0; j < batch; j++) fn();
    wall.push(Number(process.hrtime.bigint() - t0) / 1e9 / batch);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6 / batch);
  }
  return { wall: middle(wall), cpu: middle(cpu) };
}

export const middle = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
