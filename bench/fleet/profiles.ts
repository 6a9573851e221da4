// Where a process spent its CPU (a V8 .cpuprofile, node --cpu-prof) or its
// heap (a .heapprofile, node --heap-prof: sampled allocations still live when
// the process exits), per function and per source file, largest first.

import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { REPO_ROOT } from "../../devenv/repo-root.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

interface HeapProfileNode {
  callFrame: ProfileNode["callFrame"];
  selfSize: number;
  children: HeapProfileNode[];
}

export interface Share {
  what: string;
  amount: number;
  share: number;
}

export interface ProfileSummary {
  /** ms of CPU, or bytes of heap */
  total: number;
  byFunction: Share[];
  byFile: Share[];
}

/** Copies a profile out of the run's temporary directory into reports/profiles/; returns where. */
export function keepProfile(file: string): string {
  const dir = join(REPO_ROOT, "reports", "profiles");
  mkdirSync(dir, { recursive: true });
  const kept = join(dir, `controller-${new Date().toISOString().replaceAll(":", "")}.cpuprofile`);
  copyFileSync(file, kept);
  return relative(REPO_ROOT, kept);
}

export function summariseCpuProfile(file: string, root: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const msPerSample = (profile.endTime - profile.startTime) / 1000 / Math.max(1, profile.samples.length);
  return summarise(profile.nodes.map((n) => [n.callFrame, (n.hitCount ?? 0) * msPerSample]), root, top);
}

export function summariseHeapProfile(file: string, root: string, top = 15): ProfileSummary {
  const nodes: [ProfileNode["callFrame"], number][] = [];
  const walk = (n: HeapProfileNode) => {
    nodes.push([n.callFrame, n.selfSize]);
    n.children.forEach(walk);
  };
  walk((JSON.parse(readFileSync(file, "utf8")) as { head: HeapProfileNode }).head);
  return summarise(nodes, root, top);
}

function summarise(samples: [ProfileNode["callFrame"], number][], root: string, top: number): ProfileSummary {
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  for (const [{ functionName, url, lineNumber }, amount] of samples) {
    if (amount === 0) continue;
    total += amount;
    const where = url.startsWith("file://") ? relative(root, new URL(url).pathname) : url || "(native)";
    const fn = `${functionName || "(anonymous)"} ${where}${url ? `:${lineNumber + 1}` : ""}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + amount);
    byFile.set(where, (byFile.get(where) ?? 0) + amount);
  }
  const ranked = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([what, amount]) => ({ what, amount, share: amount / total }));
  return { total, byFunction: ranked(byFunction), byFile: ranked(byFile) };
}
