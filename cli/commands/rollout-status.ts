// cpuidctl rollout status <name>: a CpuidRollout's progress and the policies
// of its current wave that hold it up.

import { getRollout, listDomainPolicies } from "../cluster-rollouts.ts";
import { EXIT_FINDINGS, EXIT_OK, UsageError, printJson, type Command } from "../command.ts";
import { loadKube } from "../kube-load.ts";
import { KUBE_USAGE } from "../kube-target.ts";
import { jsonOrText, parseCommandArgs } from "../policy-args.ts";
import { progressText, rolloutProgress } from "../rollout-progress.ts";

const usage = `usage: cpuidctl rollout status <name> [-o json|text]

A CpuidRollout's progress from its status: the wave in progress of how many,
each wave's phase, where the planned policies are (applied, staged (done: the
change takes effect at the domain's next start), failed, progressing,
pending, deleted), its conditions, and for each policy of the current wave
that has not settled or failed, why (read from that DomainCpuidPolicy's
status).

  -o json|text      output format (default text)

Exit status: 0, 1 the rollout is halted, 2 bad input (no such rollout).

${KUBE_USAGE}`;

const command: Command = {
  summary: "show a CpuidRollout's progress and what holds up its current wave",
  usage,
  async run(args, kube) {
    const { values, positionals } = parseCommandArgs(args, { output: { type: "string", short: "o" } }, usage);
    if (positionals.length !== 1) throw new UsageError(`expected one rollout name\n\n${usage}`);
    const format = jsonOrText(values.output);
    const { kubeConfig } = loadKube(kube);
    const rollout = await getRollout(kubeConfig, positionals[0]);
    const policies = new Map((await listDomainPolicies(kubeConfig)).map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
    const progress = rolloutProgress(rollout, (key) => policies.get(key), new Date());
    if (format === "json") printJson(progress);
    else process.stdout.write(progressText(progress));
    return progress.halted ? EXIT_FINDINGS : EXIT_OK;
  },
};

export default command;
