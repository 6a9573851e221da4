// cpuidctl policy level <file>… --guest pv|hvm [--cmdline <value>] [--xen-version <release>] [-o json|text]

import { basename } from "node:path";
import { EXIT_FINDINGS, EXIT_OK, UsageError, printJson, type Command } from "../command.ts";
import { guestType, jsonOrText, parseCommandArgs, XEN_RELEASE_USAGE, xenRelease } from "../policy-args.ts";
import { derivePolicies, readInput } from "../policy-input.ts";
import { featureNames, formatFeatureset } from "../../shared/featureset/featureset.ts";
import { levelPolicies, type LevelResult } from "../../shared/level/level.ts";
import { policyFeatureset } from "../../shared/policy/featureset-io.ts";
import { policyView } from "../../shared/policy/policy-view.ts";
import { guestMax } from "../../shared/request/build-request.ts";

const usage = `usage: cpuidctl policy level <file>... --guest pv|hvm [--cmdline <value>] [--xen-version <release>] [-o json|text]

Level the hosts' guest max policies into one pool policy that every host can
run and accept: AND of the featuresets, OR for pool hints ("|" features,
RSBA/RRSBA), the smallest max leaves, one vendor. Shows the level and which
host removes which feature relative to the union of all hosts.

  <file>...         CPUID dumps or \`xen-cpuid -p\` outputs, one per host (host
                    name = file name without extension)
  --guest pv|hvm    guest type
  --cmdline <value> Xen's cpuid= boot option, applied to every host
${XEN_RELEASE_USAGE}
  -o json|text      output format (default text)

Exit status: 0 levelled, 1 the hosts cannot be levelled, 2 bad input.`;

function hostNames(files: string[]): string[] {
  const short = files.map((f) => basename(f).replace(/\.[^.]*$/, ""));
  return short.map((s, i) => (short.indexOf(s) === short.lastIndexOf(s) ? s : files[i]));
}

function levelText(r: LevelResult, guest: string, hosts: string[]): string {
  const lines = [`pool level of ${hosts.length} host${hosts.length === 1 ? "" : "s"} for ${guest} guests: ${hosts.join(", ")}`];
  if (r.policy) {
    const fs = policyFeatureset(r.policy);
    const names = featureNames(fs);
    lines.push(`  featureset ${formatFeatureset(fs)}`, `  ${names.length} features: ${names.join(" ")}`);
  }
  if (r.removed.length) {
    lines.push("removed relative to the union of the hosts:");
    for (const rm of r.removed) lines.push(`  ${rm.host} removes ${rm.features.length}: ${rm.features.join(" ")}`);
  }
  for (const e of r.errors) lines.push(`error: ${e}`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return `${lines.join("\n")}\n`;
}

const command: Command = {
  summary: "level several hosts' guest max policies into one pool policy",
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs(
      args,
      { guest: { type: "string" }, cmdline: { type: "string" }, "xen-version": { type: "string" }, output: { type: "string", short: "o" } },
      usage,
    );
    if (positionals.length === 0) throw new UsageError(`expected at least one host file\n\n${usage}`);
    const guest = guestType(values.guest, usage);
    const format = jsonOrText(values.output);
    const release = xenRelease(values["xen-version"]);
    const hosts = hostNames(positionals);
    const members = positionals.map((file, i) => ({
      host: hosts[i],
      policy: guestMax(derivePolicies(readInput(file), file, { cmdline: values.cmdline, release }), guest),
    }));
    const r = levelPolicies(members, { guest });
    if (format === "json") {
      printJson({
        ok: r.errors.length === 0,
        guest,
        hosts,
        policy: r.policy ? policyView(r.policy) : null,
        removed: r.removed,
        errors: r.errors,
        warnings: r.warnings,
      });
    } else process.stdout.write(levelText(r, guest, hosts));
    return r.errors.length ? EXIT_FINDINGS : EXIT_OK;
  },
};

export default command;
