// `cpuidctl rollout plan` as text: the change, the waves (a few members
// each), what would fail now and why, what is left out, and what would hold
// the rollout back. Bounded: -o json lists everything.

import type { RolloutWhatIf } from "./rollout-what-if.ts";

const MEMBERS_SHOWN = 8;
const LINES_SHOWN = 20;

function some(items: readonly string[], shown: number): string {
  const more = items.length > shown ? `, … and ${items.length - shown} more` : "";
  return items.slice(0, shown).join(", ") + more;
}

function bounded(lines: readonly string[]): string[] {
  return lines.length > LINES_SHOWN ? [...lines.slice(0, LINES_SHOWN), `  … and ${lines.length - LINES_SHOWN} more (-o json lists every one)`] : [...lines];
}

/** "enable a, b; disable c" */
export function changeText(change: { enable: readonly string[]; disable: readonly string[] }): string {
  return [change.enable.length ? `enable ${change.enable.join(", ")}` : "", change.disable.length ? `disable ${change.disable.join(", ")}` : ""].filter(Boolean).join("; ");
}

export function planText(w: RolloutWhatIf): string {
  const out = [`CpuidRollout ${w.rollout}: ${changeText(w.change)}`];
  if (w.takenAlong.length) out.push(`disabling also takes along (they depend on it): ${w.takenAlong.join(", ")}`);
  if (w.alreadyPlanned) out.push(`note: CpuidRollout ${w.rollout} is already planned in the cluster; its plan is frozen (see \`cpuidctl rollout status ${w.rollout}\`): this is what a new rollout would plan now`);
  if (w.poolMissing) out.push(`targets.pool: CpuidPool ${w.poolMissing} does not exist`);
  const planned = w.waves.reduce((n, wave) => n + wave.length, 0);
  if (planned === 0) {
    out.push("nothing would move: the targets select no DomainCpuidPolicy that can be changed");
  } else {
    out.push(`${planned} policies in ${w.waves.length} waves:`);
    w.waves.forEach((wave, i) => out.push(`  wave ${i + 1}: ${wave.length} ${wave.length === 1 ? "policy" : "policies"}: ${some(wave, MEMBERS_SHOWN)}`));
    const failing = w.verdicts.filter((v) => !v.ok);
    if (failing.length === 0) {
      out.push(`would pass now: every planned policy passes its audit with the change`);
    } else {
      const halt = w.haltsInWave ? `; more than maxFailures (${w.tolerated}): the rollout would halt in wave ${w.haltsInWave}` : `; within maxFailures (${w.tolerated})`;
      out.push(`would fail now: ${failing.length} of ${planned} policies${halt}`);
      out.push(...bounded(failing.map((v) => `  ${v.policy} (host ${v.host}, wave ${v.wave}): ${v.reason}`)));
    }
    const unchanged = w.verdicts.filter((v) => v.unchanged).map((v) => v.policy);
    if (unchanged.length) out.push(`already asking for the change (the layer alters nothing): ${some(unchanged, MEMBERS_SHOWN)}`);
  }
  if (w.skipped.length) {
    out.push(`left out (selected, but cannot be changed):`);
    out.push(...bounded(w.skipped.map((s) => `  ${s.key}: ${s.why}`)));
  }
  if (w.waitsFor) {
    out.push(
      `waits: CpuidRollout ${w.waitsFor.name} already changes ${w.waitsFor.features.join(", ")} in ${w.waitsFor.policies} of these policies; this rollout would not plan (Progressing=False, WaitingForRollout) until that one is deleted or rolled back`,
    );
  }
  return `${out.join("\n")}\n`;
}
