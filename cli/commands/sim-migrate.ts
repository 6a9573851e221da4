// `cpuidctl sim migrate <domain> --from-state-dir <a> --to-state-dir <b>`:
// moves a live domain between two sim-backend agents with its policy, in
// `xl migrate`'s steps over their admin sockets: the source sends the domain
// (state, policies, provenance), the destination's own audit must accept its
// policies against that host's max, and only then is the source's copy gone.

import { findingsBlock } from "../../shared/audit/findings-text.ts";
import { SimMigratingDomain } from "../../shared/schemas/sim-admin.ts";
import { EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_OK, UsageError, printJson, type Command } from "../command.ts";
import { parseCommandArgs } from "../policy-args.ts";
import { simAdminCall, SimAdminRefusal } from "../sim-admin-client.ts";

const usage = `usage: cpuidctl sim migrate <domain> --from-state-dir <dir> --to-state-dir <dir>

Moves a paused or running domain from one sim agent to another with its CPU
policy, as xl migrate does: the destination agent audits the policy the domain
runs with (and one staged for its next start) against its own guest max and
refuses the domain with every finding when it does not fit; otherwise the
domain runs on there with the same policy, provenance (request id,
generation, resource uid) included, and is removed from the source.

  --from-state-dir <dir>   the source sim agent's state dir
  --to-state-dir <dir>     the destination sim agent's state dir

Exit status: 0 moved, 1 refused by the destination's audit (findings printed),
2 anything else (no such domain, a domain not live, no agent, ...).`;

const command: Command = {
  summary: "sim backend: move a domain to another sim host with its policy (xl migrate)",
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, { "from-state-dir": { type: "string" }, "to-state-dir": { type: "string" } }, usage);
    if (positionals.length !== 1) throw new UsageError(usage);
    const from = values["from-state-dir"];
    const to = values["to-state-dir"];
    if (!from || !to) throw new UsageError(`--from-state-dir and --to-state-dir are required\n\n${usage}`);
    const domain = positionals[0];
    try {
      const sent = SimMigratingDomain.parse(await simAdminCall(from, { action: "export", domain }));
      const arrived = await simAdminCall(to, { action: "import", domain, body: sent });
      await simAdminCall(from, { action: "destroy", domain });
      printJson(arrived);
      return EXIT_OK;
    } catch (e) {
      if (e instanceof SimAdminRefusal && e.findings.length) {
        console.error(`cpuidctl: ${e.message}; domain ${domain} stays on the source\n${findingsBlock(e.findings)}`);
        return EXIT_FINDINGS;
      }
      console.error(`cpuidctl: ${(e as Error).message}`);
      return EXIT_BAD_INPUT;
    }
  },
};

export default command;
