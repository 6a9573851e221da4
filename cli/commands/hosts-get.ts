// cpuidctl hosts get <host> [-o json|yaml]

import { stringify } from "yaml";
import { EXIT_BAD_INPUT, EXIT_OK, UsageError, printJson, type Command } from "../command.ts";
import { openHostsBucket } from "../../runtime/nats/hosts-bucket.ts";
import { readHostEntry } from "../hosts-bucket.ts";
import { connectCli, NATS_OPTIONS, NATS_USAGE } from "../nats-connection.ts";
import { parseCommandArgs } from "../policy-args.ts";
import { HOSTS_BUCKET, hostKey } from "../../shared/nats/subjects.ts";

const usage = `usage: cpuidctl hosts get <host> [-o json|yaml]

The HostPolicies the host's agent published to the cpuid-hosts bucket. Its
\`policies\` object has the same shape as \`cpuidctl policy derive -o json\`'s.

  -o json|yaml   output format (default json)
${NATS_USAGE}`;

const command: Command = {
  summary: "show the HostPolicies a host published",
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, { ...NATS_OPTIONS, output: { type: "string", short: "o" } }, usage);
    if (positionals.length !== 1) throw new UsageError(`expected one host id\n\n${usage}`);
    const format = values.output ?? "json";
    if (format !== "json" && format !== "yaml") throw new UsageError(`-o must be json or yaml`);
    const host = positionals[0];
    const nc = await connectCli(values);
    try {
      const e = await readHostEntry(await openHostsBucket(nc), hostKey(host));
      if (!e) {
        console.error(`cpuidctl: host ${JSON.stringify(host)} has published nothing to ${HOSTS_BUCKET}`);
        return EXIT_BAD_INPUT;
      }
      if (!e.ok) {
        console.error(`cpuidctl: host ${JSON.stringify(host)} published an invalid entry: ${e.error}`);
        return EXIT_BAD_INPUT;
      }
      if (format === "json") printJson(e.policies);
      else process.stdout.write(stringify(e.policies));
      return EXIT_OK;
    } finally {
      await nc.close();
    }
  },
};

export default command;
