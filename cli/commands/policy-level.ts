// cpuidctl policy level <file>… --guest pv|hvm [--cmdline <value>] [--xen-version <release>] [-o json|text]

import { basename } from "node:path";
import { UsageError, type Command } from "../command.ts";
import { levelAndPrint } from "../level-output.ts";
import { guestType, jsonOrText, parseCommandArgs, XEN_RELEASE_USAGE, xenRelease } from "../policy-args.ts";
import { deriveHost, readInput, type DeriveChoice } from "../policy-input.ts";
import type { GuestType } from "../../shared/featureset/masks.ts";
import type { LevelMember } from "../../shared/level/level.ts";
import { guestMax } from "../../shared/request/build-request.ts";

const usage = `usage: cpuidctl policy level <file>... --guest pv|hvm [--cmdline <value>] [--xen-version <release>] [-o json|text]

Level the hosts' guest max policies into one pool policy that every host can
run and accept: AND of the featuresets, OR for pool hints ("|" features,
RSBA/RRSBA), the smallest max leaves, one vendor, invariant TSC only where
the hosts' TSC frequencies allow. Shows the level and which host removes which
feature relative to the union of all hosts.

  <file>...         one per host: a CPUID dump (TSC frequency from its leaves
                    0x15/0x16, as the file probe publishes it) or \`xen-cpuid -p\`
                    output (host name = file name without extension), or the HostPolicies
                    JSON a host published (\`cpuidctl hosts get <host> -o json\`;
                    host name = its hostId, TSC facts included)
  --guest pv|hvm    guest type
  --cmdline <value> Xen's cpuid= boot option, applied to every dump and
                    xen-cpuid -p host (published hosts carry their own)
${XEN_RELEASE_USAGE}
  -o json|text      output format (default text)

Exit status: 0 levelled, 1 the hosts cannot be levelled, 2 bad input.`;

function hostNames(files: string[]): string[] {
  const short = files.map((f) => basename(f).replace(/\.[^.]*$/, ""));
  return short.map((s, i) => (short.indexOf(s) === short.lastIndexOf(s) ? s : files[i]));
}

/** Published HostPolicies JSON is told apart from dumps and xen-cpuid output by its leading "{". */
const looksLikeJson = (text: string) => text.trimStart().startsWith("{");

type PublishedHostMember = (text: string, file: string, guest: GuestType) => LevelMember;

/**
 * Hosts of one CPU model usually print byte-identical dumps and xen-cpuid -p
 * output: each distinct text is derived once, and its members share one
 * policy keyed by that text, so levelling reads it once.
 */
function textMembers(texts: string[], files: string[], hosts: string[], guest: GuestType, choice: DeriveChoice, published: PublishedHostMember | undefined): LevelMember[] {
  const derived = new Map<string, Omit<LevelMember, "host">>();
  return texts.map((text, i) => {
    if (published && looksLikeJson(text)) {
      if (choice.cmdline !== undefined) throw new UsageError(`${files[i]}: --cmdline applies to dumps and xen-cpuid -p files; published HostPolicies were derived with their host's own cpuid=`);
      return published(text, files[i], guest);
    }
    let member = derived.get(text);
    if (!member) {
      const { policies, tsc } = deriveHost(text, files[i], choice);
      member = { policy: guestMax(policies, guest), facts: { tsc }, key: text };
      derived.set(text, member);
    }
    return { host: hosts[i], ...member };
  });
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
    const texts = positionals.map(readInput);
    const published = texts.some(looksLikeJson) ? (await import("../host-policies-input.ts")).publishedHostMember : undefined;
    const members = textMembers(texts, positionals, hosts, guest, { cmdline: values.cmdline, release }, published);
    return levelAndPrint(members, guest, format);
  },
};

export default command;
