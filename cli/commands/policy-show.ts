// cpuidctl policy show <xen-cpuid -p file> [-o json|text]

import { EXIT_OK, UsageError, printJson, type Command } from "../command.ts";
import { jsonOrText, parseCommandArgs } from "../policy-args.ts";
import { policySetText, readInput } from "../policy-input.ts";
import { FormatError } from "../../shared/formats/format-error.ts";
import { parseXenCpuidPolicy } from "../../shared/formats/xen-cpuid-policy.ts";
import type { CpuPolicy } from "../../shared/policy/cpu-policy.ts";
import { POLICY_ORDER, policySetView, type PolicySetName } from "../../shared/policy/policy-view.ts";

const usage = `usage: cpuidctl policy show <file> [-o json|text]

Show the system policies exactly as Xen reported them in \`xen-cpuid -p\` output,
in the same shape as \`cpuidctl policy derive\`.

  -o json|text   output format (default text)`;

const command: Command = {
  summary: "show the policies in xen-cpuid -p output, as Xen reported them",
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, { output: { type: "string", short: "o" } }, usage);
    if (positionals.length !== 1) throw new UsageError(`expected one input file\n\n${usage}`);
    const format = jsonOrText(values.output);
    const file = positionals[0];
    const out = parseXenCpuidPolicy(readInput(file), file);
    const policies: Partial<Record<PolicySetName, CpuPolicy>> = {};
    for (const b of out.blocks) if ((POLICY_ORDER as readonly string[]).includes(b.name)) policies[b.name as PolicySetName] = b.policy;
    const identity = policies.host ?? policies.raw;
    if (!identity) throw new FormatError(file, 1, 1, "no Raw or Host policy in this xen-cpuid -p output");
    if (format === "json") printJson(policySetView(identity, policies));
    else process.stdout.write(policySetText(identity, policies));
    return EXIT_OK;
  },
};

export default command;
