// cpuidctl policy derive <file> [--cmdline <cpuid=>] [--xen-version <release>] [-o json|text]

import { EXIT_OK, UsageError, printJson, type Command } from "../command.ts";
import { jsonOrText, parseCommandArgs, XEN_RELEASE_USAGE, xenRelease } from "../policy-args.ts";
import { derivePolicies, policySetText, readInput } from "../policy-input.ts";
import { policySetView } from "../../shared/policy/policy-view.ts";

const usage = `usage: cpuidctl policy derive <file> [--cmdline <value>] [--xen-version <release>] [-o json|text]

Derive Xen's raw, host, pv_max, pv_default, hvm_max and hvm_default policies.

  <file>            a CPUID dump (AIDA64 / InstLatX64; the boot CPU is used) or
                    \`xen-cpuid -p\` output (derivation starts from Xen's Host policy)
  --cmdline <value> Xen's cpuid= boot option, e.g. "no-avx512f,rdrand"
${XEN_RELEASE_USAGE}
  -o json|text      output format (default text)

Host facts CPUID cannot show take Xen's defaults: HAP available, vPMU off,
MSR_SPEC_CTRL virtualised, up-to-date microcode unless the dump's MSR 0x8b says
otherwise, MSR_ARCH_CAPS = 0 when the dump lacks MSR 0x10a.`;

const command: Command = {
  summary: "derive Xen's host and guest policies from a CPUID dump or xen-cpuid -p output",
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, { cmdline: { type: "string" }, "xen-version": { type: "string" }, output: { type: "string", short: "o" } }, usage);
    if (positionals.length !== 1) throw new UsageError(`expected one input file\n\n${usage}`);
    const format = jsonOrText(values.output);
    const file = positionals[0];
    const d = derivePolicies(readInput(file), file, { cmdline: values.cmdline, release: xenRelease(values["xen-version"]) });
    if (format === "json") printJson({ ...policySetView(d.host, d), xenRelease: d.release });
    else process.stdout.write(`Xen release: ${d.release}\n${policySetText(d.host, d)}`);
    return EXIT_OK;
  },
};

export default command;
