// Makes a demo host profile (examples/profiles/<host>.txt) from a full CPUID
// dump of the shared fixtures: a provenance header, then logical CPU #0's
// CPUID block and CPU #0's (or the global) MSR section, copied line for line.
// The derivation reads only those, so the profile derives the same policies
// as the full dump (test/unit/demo/profiles.test.ts checks it).
//
//   node_modules/.bin/node scripts/demo/profile-from-dump.ts <dump> <host-id> <provenance> > examples/profiles/<host-id>.txt

import { readFileSync } from "node:fs";

const SECTION = /^------\[ (.*) \]------\s*$/;
const CPU0_BLOCK = /^(?:CPUID Registers \/ )?Logical CPU #0$/;
const BOOT_MSRS = /^MSR Registers(?: \/ Logical CPU #0)?$/;

export function profileFromDump(dumpText: string, hostId: string, provenance: string): string {
  const kept: string[] = [];
  let keeping = false;
  for (const line of dumpText.split("\n")) {
    const section = SECTION.exec(line);
    if (section) keeping = CPU0_BLOCK.test(section[1]) || BOOT_MSRS.test(section[1]);
    if (keeping) kept.push(line);
  }
  if (!kept.some((l) => SECTION.exec(l) && CPU0_BLOCK.test(SECTION.exec(l)![1]))) {
    throw new Error(`${provenance}: no "Logical CPU #0" CPUID block`);
  }
  const header = [
    `cpuid-fleet demo CPU profile of ${hostId}`,
    `Source: ${provenance}`,
    "Logical CPU #0's CPUID block and MSR section of that dump, copied verbatim (register values unchanged);",
    "the other logical CPUs and the report's other sections are left out. See README.md in this folder.",
    "",
  ];
  return [...header, ...trimTrailingBlankLines(kept)].join("\n") + "\n";
}

function trimTrailingBlankLines(lines: string[]): string[] {
  let end = lines.length;
  while (end > 0 && lines[end - 1].trim() === "") end--;
  return lines.slice(0, end);
}

if (import.meta.main) {
  const [dump, hostId, provenance] = process.argv.slice(2);
  if (!dump || !hostId || !provenance) {
    console.error("usage: profile-from-dump.ts <dump> <host-id> <provenance>");
    process.exit(2);
  }
  process.stdout.write(profileFromDump(readFileSync(dump, "utf8"), hostId, provenance));
}
