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

/** File names without extension, or the whole path where two files share a name. */
function hostNames(files: string[]): string[] {
  const short = files.map((f) => basename(f).replace(/\.[^.]*$/, ""));
  const count = new Map<string, number>();
  for (const s of short) count.set(s, (count.get(s) ?? 0) + 1);
  return short.map((s, i) => (count.get(s) === 1 ? s : files[i]));
}

/** Published HostPolicies JSON is told apart from dumps and xen-cpuid output by its leading "{". */
const looksLikeJson = (text: string) => text.trimStart().startsWith("{");

type PublishedHostMember = (text: string, file: string, guest: GuestType) => LevelMember;

/**
 * Hosts of one CPU model usually print byte-identical dumps and xen-cpuid -p
 * output: each distinct text is derived once, and its members share one
 * policy keyed by that text, so levelling reads it once. Files are read one
 * at a time and a repeated text is dropped at once (members key by the first
 * copy): 10,000 kept texts would be ~40 MB for the garbage collector to move.
 */
async function fileMembers(files: string[], hosts: string[], guest: GuestType, choice: DeriveChoice): Promise<LevelMember[]> {
  const derived = new Map<string, Omit<LevelMember, "host">>();
  let published: PublishedHostMember | undefined;
  const members: LevelMember[] = [];
  for (let i = 0; i < files.length; i++) {
    const text = readInput(files[i]);
    if (looksLikeJson(text)) {
      if (choice.cmdline !== undefined) throw new UsageError(`${files[i]}: --cmdline applies to dumps and xen-cpuid -p files; published HostPolicies were derived with their host's own cpuid=`);
      published ??= (await import("../host-policies-input.ts")).publishedHostMember;
      members.push(published(text, files[i], guest));
      continue;
    }
    let shared = derived.get(text);
    if (!shared) {
      const { policies, tsc } = deriveHost(text, files[i], choice);
      shared = { key: text, policy: guestMax(policies, guest), facts: { tsc } };
      derived.set(text, shared);
    }
    members.push({ host: hosts[i], ...shared });
  }
  return members;
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
    const members = await fileMembers(positionals, hostNames(positionals), guest, { cmdline: values.cmdline, release });
    return levelAndPrint(members, guest, format);
  },
};

export default command;
