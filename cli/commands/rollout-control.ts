// cpuidctl rollout resume|undo <name>: the two nudges an operator gives a
// CpuidRollout. Resume writes a fresh cpuidfleet.io/resume annotation (the
// controller accepts the failures so far once per new value); undo sets
// spec.rollback.

import { RESUME_ANNOTATION } from "../../shared/api/v1alpha1/cpuid-rollout.ts";
import { getRollout, patchRollout } from "../cluster-rollouts.ts";
import { EXIT_OK, UsageError, type Command } from "../command.ts";
import { loadKube } from "../kube-load.ts";
import { KUBE_USAGE } from "../kube-target.ts";
import { parseCommandArgs } from "../policy-args.ts";

const resumeUsage = `usage: cpuidctl rollout resume <name>

Resume a halted CpuidRollout: writes the annotation ${RESUME_ANNOTATION} with
the current time. The controller then accepts the failures so far (only later
ones count against strategy.maxFailures) and starts the next wave. Check why
policies failed first (\`cpuidctl rollout status <name>\`). A rollout paused
with spec.paused is resumed by setting paused: false instead.

${KUBE_USAGE}`;

const undoUsage = `usage: cpuidctl rollout undo <name>

Roll a CpuidRollout back: merge-patches spec.rollback=true. The controller
removes the change wave by wave in reverse until every policy is back to its
own spec. GitOps users should commit rollback: true to the rollout's manifest
instead: a tool syncing the old manifest would set it back to false, and the
rollout would continue forward.

${KUBE_USAGE}`;

function oneName(args: string[], usage: string): string {
  const { positionals } = parseCommandArgs(args, {}, usage);
  if (positionals.length !== 1) throw new UsageError(`expected one rollout name\n\n${usage}`);
  return positionals[0];
}

export const resume: Command = {
  summary: "resume a halted CpuidRollout, accepting its failures so far",
  usage: resumeUsage,
  async run(args, kube) {
    const name = oneName(args, resumeUsage);
    const { kubeConfig } = loadKube(kube);
    const rollout = await getRollout(kubeConfig, name);
    const value = new Date().toISOString();
    await patchRollout(kubeConfig, name, { metadata: { annotations: { [RESUME_ANNOTATION]: value } } });
    const failed = rollout.status?.counts?.failed ?? 0;
    const halted = rollout.status?.conditions?.some((c) => c.type === "Halted" && c.status === "True") ?? false;
    console.log(`resume requested (${RESUME_ANNOTATION}=${value}): the controller accepts the ${failed} failures so far${halted ? " and starts the next wave" : "; the rollout was not halted"}`);
    return EXIT_OK;
  },
};

export const undo: Command = {
  summary: "roll a CpuidRollout back wave by wave (GitOps: commit rollback: true instead)",
  usage: undoUsage,
  async run(args, kube) {
    const name = oneName(args, undoUsage);
    const { kubeConfig } = loadKube(kube);
    await patchRollout(kubeConfig, name, { spec: { rollback: true } });
    console.log(`rollback requested (spec.rollback=true): the controller takes the change off wave by wave in reverse; follow it with \`cpuidctl rollout status ${name}\``);
    return EXIT_OK;
  },
};
