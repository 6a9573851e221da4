// cpuidctl policy derive <file> [--cmdline <cpuid=>] [-o json|text]

import { parseArgs } from "node:util";
import { EXIT_OK, UsageError, printJson, type Command } from "../command.ts";
import { outputFormat, policySetText, readInput } from "../policy-input.ts";
import { deriveFromCpuidDump } from "../../shared/derive/from-dump.ts";
import { deriveFromXenHost, type DerivedPolicies } from "../../shared/derive/derive.ts";
import { parseCpuidDump } from "../../shared/formats/cpuid-dump.ts";
import { detectPolicyInput } from "../../shared/formats/detect.ts";
import { FormatError } from "../../shared/formats/format-error.ts";
import { parseXenCpuidPolicy } from "../../shared/formats/xen-cpuid-policy.ts";
import { policySetView } from "../../shared/policy/policy-view.ts";

const usage = `usage: cpuidctl policy derive <file> [--cmdline <value>] [-o json|text]

Derive Xen's raw, host, pv_max, pv_default, hvm_max and hvm_default policies.

  <file>            a CPUID dump (AIDA64 / InstLatX64; the boot CPU is used) or
                    \`xen-cpuid -p\` output (derivation starts from Xen's Host policy)
  --cmdline <value> Xen's cpuid= boot option, e.g. "no-avx512f,rdrand"
  -o json|text      output format (default text)

Host facts CPUID cannot show take Xen's defaults: HAP available, vPMU off,
MSR_SPEC_CTRL virtualised, up-to-date microcode unless the dump's MSR 0x8b says
otherwise, MSR_ARCH_CAPS = 0 when the dump lacks MSR 0x10a.`;

function derive(text: string, file: string, cmdline: string | undefined): DerivedPolicies {
  const kind = detectPolicyInput(text, file);
  if (kind === "cpuid-dump") return deriveFromCpuidDump(parseCpuidDump(text, file), { cmdline });
  if (kind === "xen-cpuid-policy") {
    const out = parseXenCpuidPolicy(text, file);
    const host = out.blocks.find((b) => b.name === "host");
    if (!host) throw new FormatError(file, 1, 1, "no \"Host policy\" in this xen-cpuid -p output (domain-only output cannot be derived from)");
    const raw = out.blocks.find((b) => b.name === "raw");
    return deriveFromXenHost(host.policy, { cmdline, raw: raw?.policy });
  }
  throw new UsageError(`${file}: xen-cpuid featuresets carry no leaves to derive from; give a CPUID dump or xen-cpuid -p output`);
}

const command: Command = {
  summary: "derive Xen's host and guest policies from a CPUID dump or xen-cpuid -p output",
  usage,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { cmdline: { type: "string" }, output: { type: "string", short: "o" } },
    });
    if (positionals.length !== 1) throw new UsageError(`expected one input file\n\n${usage}`);
    const format = outputFormat(values.output);
    const file = positionals[0];
    const d = derive(readInput(file), file, values.cmdline);
    if (format === "json") printJson(policySetView(d.host, d));
    else process.stdout.write(policySetText(d.host, d));
    return EXIT_OK;
  },
};

export default command;
