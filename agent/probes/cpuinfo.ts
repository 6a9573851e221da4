// The microcode revision the kernel reports in /proc/cpuinfo (also under a
// Xen dom0), for the host fingerprint.

import { readFile } from "node:fs/promises";

export async function microcodeRevision(cpuinfoPath: string, cpu = 0): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(cpuinfoPath, "utf8");
  } catch {
    return undefined;
  }
  for (const block of text.split(/\n\s*\n/)) {
    const processor = /^processor\s*:\s*(\d+)/m.exec(block);
    if (processor && Number(processor[1]) !== cpu) continue;
    return /^microcode\s*:\s*(\S+)/m.exec(block)?.[1];
  }
  return undefined;
}
