// cpuidctl hosts get <host> [-o json|yaml]

import { parseArgs } from "node:util";
import { Kvm } from "@nats-io/kv";
import { stringify } from "yaml";
import { EXIT_BAD_INPUT, EXIT_OK, UsageError, printJson, type Command } from "../command.ts";
import { connectCli, NATS_OPTIONS, NATS_USAGE } from "../nats-connection.ts";
import { HOSTS_BUCKET_CONFIG } from "../../shared/nats/hosts-bucket.ts";
import { HOSTS_BUCKET, hostKey } from "../../shared/nats/subjects.ts";
import { decodeJson } from "../../shared/schemas/decode-json.ts";
import { HostPolicies } from "../../shared/schemas/host-policies.ts";

const usage = `usage: cpuidctl hosts get <host> [-o json|yaml]

The HostPolicies the host's agent published to the cpuid-hosts bucket. Its
\`policies\` object has the same shape as \`cpuidctl policy derive -o json\`'s.

  -o json|yaml   output format (default json)
${NATS_USAGE}`;

const command: Command = {
  summary: "show the HostPolicies a host published",
  usage,
  async run(args) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...NATS_OPTIONS, output: { type: "string", short: "o" } } });
    if (positionals.length !== 1) throw new UsageError(`expected one host id\n\n${usage}`);
    const format = values.output ?? "json";
    if (format !== "json" && format !== "yaml") throw new UsageError(`-o must be json or yaml`);
    const host = positionals[0];
    const nc = await connectCli(values);
    try {
      const kv = await new Kvm(nc).open(HOSTS_BUCKET, { allow_direct: HOSTS_BUCKET_CONFIG.allow_direct });
      const e = await kv.get(hostKey(host));
      if (!e || e.operation !== "PUT") {
        console.error(`cpuidctl: host ${JSON.stringify(host)} has published nothing to ${HOSTS_BUCKET}`);
        return EXIT_BAD_INPUT;
      }
      const parsed = decodeJson(HostPolicies, e.value);
      if (!parsed.success) {
        console.error(`cpuidctl: host ${JSON.stringify(host)} published an invalid entry: ${parsed.error.issues[0].message}`);
        return EXIT_BAD_INPUT;
      }
      if (format === "json") printJson(parsed.data);
      else process.stdout.write(stringify(parsed.data));
      return EXIT_OK;
    } finally {
      await nc.close();
    }
  },
};

export default command;
