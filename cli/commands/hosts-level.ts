// cpuidctl hosts level <host>… --guest pv|hvm [-o json|text]

import { UsageError, type Command } from "../command.ts";
import { readHostEntry } from "../hosts-bucket.ts";
import { levelAndPrint } from "../level-output.ts";
import { connectCli, NATS_OPTIONS, NATS_USAGE } from "../nats-connection.ts";
import { guestType, jsonOrText, parseCommandArgs } from "../policy-args.ts";
import { openHostsBucket } from "../../runtime/nats/hosts-bucket.ts";
import { decodeHostPolicies } from "../../shared/hosts/host-record.ts";
import { hostLevelMember } from "../../shared/level/host-member.ts";
import { HOSTS_BUCKET, hostKey } from "../../shared/nats/subjects.ts";

const usage = `usage: cpuidctl hosts level <host>... --guest pv|hvm [-o json|text]

Level the guest max policies the hosts published to the cpuid-hosts bucket,
as \`cpuidctl policy level\` does for files (with each host's TSC facts).

  --guest pv|hvm    guest type
  -o json|text      output format (default text)
${NATS_USAGE}
Exit status: 0 levelled, 1 the hosts cannot be levelled, 2 bad input (a host
that published nothing or an invalid entry).`;

const command: Command = {
  summary: "level published hosts into one pool policy",
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs(
      args,
      { ...NATS_OPTIONS, guest: { type: "string" }, output: { type: "string", short: "o" } },
      usage,
    );
    if (positionals.length === 0) throw new UsageError(`expected at least one host id\n\n${usage}`);
    const guest = guestType(values.guest, usage);
    const format = jsonOrText(values.output);
    const nc = await connectCli(values);
    try {
      const kv = await openHostsBucket(nc);
      const members = [];
      for (const host of positionals) {
        const e = await readHostEntry(kv, hostKey(host));
        if (!e) throw new UsageError(`host ${JSON.stringify(host)} has published nothing to ${HOSTS_BUCKET}`);
        if (!e.ok) throw new UsageError(`host ${JSON.stringify(host)} published an invalid entry: ${e.error}`);
        if (!e.policies.guestTypes.includes(guest)) throw new UsageError(`host ${JSON.stringify(host)} offers no ${guest} guests (it offers: ${e.policies.guestTypes.join(", ") || "none"})`);
        members.push(hostLevelMember(decodeHostPolicies(e.policies), guest));
      }
      return levelAndPrint(members, guest, format);
    } finally {
      await nc.close();
    }
  },
};

export default command;
