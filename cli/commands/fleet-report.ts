// cpuidctl fleet report -o html [--kubeconfig <file>] [--context <name>]

import { EXIT_OK, UsageError, type Command } from "../command.ts";
import { readDomainPolicies, readHosts, readPools, readRollouts } from "../fleet-report/collect.ts";
import { renderFleetReportHtml } from "../fleet-report/html.ts";
import { buildFleetReport } from "../fleet-report/model.ts";
import { connectCli, NATS_OPTIONS, NATS_USAGE } from "../nats-connection.ts";
import { parseCommandArgs } from "../policy-args.ts";
import { loadKube } from "../kube-load.ts";
import { KUBE_USAGE } from "../kube-target.ts";

const usage = `usage: cpuidctl fleet report -o html [--kubeconfig <file>] [--context <name>] > fleet.html

One self-contained HTML page (no network needed to open it) from live data:
the hosts in the cpuid-hosts bucket, hosts with the same CPU and policies
grouped, against every feature the CPUs report, grouped by leaf: present in
the guest max, hidden by Xen (the CPU has it, the guest max does not) or
absent, the reason on hover; the cluster's CpuidPools with their level and
the hosts that limit it; its CpuidRollouts with their change, wave and
counts; its DomainCpuidPolicies by Ready reason with their findings; a filter by host, pool or feature name. Bucket entries
that fail validation are left out and named on stderr.

  -o html                 the only format
${NATS_USAGE}

${KUBE_USAGE}`;

const command: Command = {
  summary: "write an HTML report of the fleet's hosts, features, pools and domain policies",
  usage,
  async run(args, kube) {
    const { values, positionals } = parseCommandArgs(args, { ...NATS_OPTIONS, output: { type: "string", short: "o" } }, usage);
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"\n\n${usage}`);
    if ((values.output ?? "html") !== "html") throw new UsageError("-o must be html");
    const { kubeConfig } = loadKube(kube);
    const [policies, pools, rollouts] = await Promise.all([readDomainPolicies(kubeConfig), readPools(kubeConfig), readRollouts(kubeConfig)]);
    const nc = await connectCli(values);
    try {
      const { hosts, invalid } = await readHosts(nc);
      for (const { key, error } of invalid) console.error(`cpuidctl: host entry ${key} left out: ${error}`);
      process.stdout.write(renderFleetReportHtml(buildFleetReport(hosts, policies, pools, rollouts), new Date()));
    } finally {
      await nc.close();
    }
    return EXIT_OK;
  },
};

export default command;
