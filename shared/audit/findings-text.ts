// Findings as text: the block cpuidctl prints (one finding per line) and the
// one-line summary that goes into conditions and events.

import type { FindingJson } from "../schemas/finding.ts";

type FindingText = Pick<FindingJson, "code" | "message">;

export function findingCount(n: number): string {
  return `${n} finding${n === 1 ? "" : "s"}`;
}

/** "<n> findings:" and one indented line per finding, code then message. */
export function findingsBlock(findings: readonly FindingText[]): string {
  return [`${findingCount(findings.length)}:`, ...findings.map((f) => `  ${f.code.padEnd(24)} ${f.message}`)].join("\n");
}

const SUMMARY_SHOWN = 5;

/** The count and the first few messages, on one line. */
export function summariseFindings(findings: readonly FindingText[]): string {
  const shown = findings.slice(0, SUMMARY_SHOWN).map((f) => f.message);
  const more = findings.length > shown.length ? `; and ${findings.length - shown.length} more (see status.findings)` : "";
  return `${findingCount(findings.length)}: ${shown.join("; ")}${more}`;
}
