// cpuidctl policy audit --host <file> --guest pv|hvm --request <file> [--xen-version <release>] [-o json|text]

import { EXIT_FINDINGS, EXIT_OK, UsageError, printJson, type Command } from "../command.ts";
import { guestType, jsonOrText, parseCommandArgs, XEN_RELEASE_USAGE, xenRelease } from "../policy-args.ts";
import { REQUESTED_POLICY_OPTIONS, requestedPolicy } from "../requested-policy.ts";
import { auditPolicy } from "../../shared/audit/audit.ts";
import { findingToJson, type Finding } from "../../shared/audit/finding.ts";
import { findingsBlock } from "../../shared/audit/findings-text.ts";
import { guestMax } from "../../shared/request/build-request.ts";

const usage = `usage: cpuidctl policy audit --host <file> --guest pv|hvm --request <file> [--cmdline <value>] [--xen-version <release>] [-o json|text]

Strictly audit a requested guest policy against the host's guest max policy and
report every finding (Xen itself would silently drop most of them).

  --host <file>     CPUID dump or \`xen-cpuid -p\` output; policies are derived
                    exactly as \`cpuidctl policy derive\` does
  --guest pv|hvm    guest type
  --request <file>  JSON or YAML: {"baseline": "default"|"max", "enable": [...],
                    "disable": [...]}, or a full serialised policy
                    {"leaves": [...], "msrs": [...]} (as printed by policy derive)
  --cmdline <value> Xen's cpuid= boot option on that host
${XEN_RELEASE_USAGE}
  -o json|text      output format (default text)

Exit status: 0 clean, 1 findings, 2 bad input.`;

function findingsText(findings: readonly Finding[]): string {
  return findings.length === 0 ? "ok: the requested policy fits the host's max policy\n" : `${findingsBlock(findings)}\n`;
}

const command: Command = {
  summary: "strictly audit a requested guest policy against a host's max policy",
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        ...REQUESTED_POLICY_OPTIONS,
        "xen-version": { type: "string" },
        output: { type: "string", short: "o" },
      },
      usage,
    );
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"\n\n${usage}`);
    if (!values.host || !values.request) throw new UsageError(`--host and --request are required\n\n${usage}`);
    const guest = guestType(values.guest, usage);
    const format = jsonOrText(values.output);
    const { host, requested } = requestedPolicy(values.host, values.request, guest, { cmdline: values.cmdline, release: xenRelease(values["xen-version"]) });
    const findings = auditPolicy(requested, guestMax(host, guest), { guest });
    if (format === "json") printJson({ ok: findings.length === 0, findings: findings.map(findingToJson) });
    else process.stdout.write(findingsText(findings));
    return findings.length === 0 ? EXIT_OK : EXIT_FINDINGS;
  },
};

export default command;
