// The demo's rollouts (examples/rollouts/): waits until each has finished
// what it can do on its own (Complete, halted, or planned with nothing to
// move) and prints its waves and counts.

import { setTimeout as sleep } from "node:timers/promises";
import type { CpuidRolloutObject } from "../../shared/api/v1alpha1/cpuid-rollout.ts";
import type { DemoKube } from "./kube.ts";

const POLL_MS = 250;

const condition = (r: CpuidRolloutObject, type: string) => r.status?.conditions?.find((c) => c.type === type);

/** Complete, halted, rolled back, or planned with no target: nothing more happens without the operator. */
export function isFinished(r: CpuidRolloutObject): boolean {
  if (!r.status?.waves || r.status.observedGeneration !== r.metadata.generation) return false;
  return condition(r, "Complete")?.status === "True" || condition(r, "Halted")?.status === "True" || condition(r, "RolledBack")?.status === "True" || condition(r, "Progressing")?.reason === "NoTargets";
}

export async function waitForRollouts(kube: DemoKube, names: readonly string[], timeoutMs: number): Promise<{ rollouts: CpuidRolloutObject[]; settled: boolean }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await kube.rollouts();
    const rollouts = names.flatMap((n) => all.filter((r) => r.metadata.name === n));
    const settled = rollouts.length === names.length && rollouts.every(isFinished);
    if (settled || Date.now() > deadline) return { rollouts, settled };
    await sleep(POLL_MS);
  }
}

export function renderRollouts(rollouts: readonly CpuidRolloutObject[]): string {
  const lines = ["Rollouts (kubectl get crollout; bin/cpuidctl rollout status <name>):"];
  for (const r of rollouts) {
    const s = r.status ?? {};
    const change = [...(s.change?.enable ?? []).map((f) => `+${f}`), ...(s.change?.disable ?? []).map((f) => `-${f}`)].join(" ");
    const state = condition(r, "Halted")?.status === "True" ? `halted: ${condition(r, "Halted")?.message ?? ""}` : `${condition(r, "Progressing")?.reason ?? "?"}: ${condition(r, "Progressing")?.message ?? ""}`;
    lines.push(`  ${r.metadata.name} (${change}): ${state}`);
    (s.waves ?? []).forEach((w, i) => lines.push(`    wave ${i + 1}: ${w.phase}, ${w.policies.join(", ")}`));
    const c = s.counts;
    if (c) lines.push(`    applied ${c.applied}, staged ${c.staged}, failed ${c.failed}, progressing ${c.progressing}, pending ${c.pending}, deleted ${c.deleted}`);
  }
  return lines.join("\n") + "\n";
}
