// cpuidctl policy libxl --host <file> --guest pv|hvm --request <file> [--xen-version <v>] [--cmdline <value>]

import { EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_OK, UsageError, type Command } from "../command.ts";
import { guestType, parseCommandArgs } from "../policy-args.ts";
import { REQUESTED_POLICY_OPTIONS, requestedPolicy } from "../requested-policy.ts";
import { auditPolicy } from "../../shared/audit/audit.ts";
import { parseXenVersion, type XenVersion } from "../../shared/featureset/releases.ts";
import { cpuidSettingFromPolicies } from "../../shared/formats/libxl-cpuid.ts";
import { policyFeatureset } from "../../shared/policy/featureset-io.ts";
import { guestMax } from "../../shared/request/build-request.ts";

const usage = `usage: cpuidctl policy libxl --host <file> --guest pv|hvm --request <file> [--xen-version <v>] [--cmdline <value>]

Print, on one line, the right-hand side of the xl.cfg cpuid= line that gives a
new domain the requested policy: exactly what the xen backend writes. It is a
quoted libxl string "host,<name>=…" when that Xen's libxl knows every feature
name needed, otherwise an xend list ["0x7,0:ebx=…", …], which every libxl
accepts. The request is audited first: one that does not fit the host's max
policy (which Xen would silently clamp) prints its findings and no setting.

  --host <file>         CPUID dump or \`xen-cpuid -p\` output of the host
  --guest pv|hvm        guest type
  --request <file>      JSON or YAML request, as for \`policy audit\`
  --xen-version <v>     the host's Xen, e.g. 4.17.5 (as \`xl info\` shows it;
                        4.17 means 4.17.0); default master
  --cmdline <value>     Xen's cpuid= boot option on that host

Exit status: 0 printed, 1 the request does not fit, 2 bad input or a policy
that version's cpuid= cannot express.`;

function xenVersion(value: string | undefined): XenVersion {
  if (value === undefined) return "master";
  try {
    return parseXenVersion(value);
  } catch (e) {
    throw new UsageError(`--xen-version: ${(e as Error).message}`);
  }
}

const command: Command = {
  summary: "print the xl.cfg cpuid= setting for a requested guest policy",
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        ...REQUESTED_POLICY_OPTIONS,
        "xen-version": { type: "string" },
      },
      usage,
    );
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"\n\n${usage}`);
    if (!values.host || !values.request) throw new UsageError(`--host and --request are required\n\n${usage}`);
    const guest = guestType(values.guest, usage);
    const version = xenVersion(values["xen-version"]);
    const { host, requested } = requestedPolicy(values.host, values.request, guest, { cmdline: values.cmdline });
    const findings = auditPolicy(requested, guestMax(host, guest), { guest });
    if (findings.length > 0) {
      console.error(`cpuidctl: ${values.request}: the request does not fit the host's ${guest} max policy (${findings.length} finding${findings.length === 1 ? "" : "s"}):`);
      for (const f of findings) console.error(`  ${f.code.padEnd(24)} ${f.message}`);
      return EXIT_FINDINGS;
    }
    const base = guest === "pv" ? host.pv_default : host.hvm_default;
    try {
      process.stdout.write(`${cpuidSettingFromPolicies(policyFeatureset(requested), policyFeatureset(base), version)}\n`);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      console.error(`cpuidctl: ${e.message}`);
      return EXIT_BAD_INPUT;
    }
    return EXIT_OK;
  },
};

export default command;
