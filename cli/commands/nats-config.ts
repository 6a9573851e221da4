// cpuidctl nats config --hosts <id…> --out <dir>

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EXIT_OK, UsageError, type Command } from "../command.ts";
import { parseCommandArgs } from "../policy-args.ts";
import { renderAuthorization } from "../../shared/nats/authorization.ts";
import { hostToken } from "../../shared/nats/subjects.ts";
import { ensureFleetIdentities } from "../../runtime/nats/identities.ts";

export const AUTHORIZATION_FILE = "authorization.conf";

const usage = `usage: cpuidctl nats config --hosts <id> [<id>…] --out <dir>

Writes the nats-server authorization block for the fleet and one nkey per
identity (existing keys in <dir> are kept, so re-running with more hosts only
adds keys):

  <dir>/${AUTHORIZATION_FILE}      include it from nats-server.conf: include "${AUTHORIZATION_FILE}"
  <dir>/admin.nk                unrestricted (bucket setup, debugging)
  <dir>/controller.nk           the controller
  <dir>/hosts/<token>.nk        one per host: give each agent only its own
                                (cpuid-fleet-agent --nats-seed-file)

Each host may write only its own key in the cpuid-hosts bucket, receive only
its own requests, publish only its own heartbeat and read only its own inbox.`;


const command: Command = {
  summary: "write nats-server authorization and per-host nkeys",
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, { hosts: { type: "string", multiple: true }, out: { type: "string" } }, usage);
    // `--hosts a b c`: the ids after --hosts arrive as positionals.
    const hosts = [...(values.hosts ?? []), ...positionals].flatMap((h) => h.split(",")).filter(Boolean);
    if (hosts.length === 0 || !values.out) throw new UsageError(usage);
    for (const h of hosts) hostToken(h);
    const out = values.out;
    mkdirSync(out, { recursive: true, mode: 0o700 });
    writeFileSync(join(out, AUTHORIZATION_FILE), renderAuthorization(ensureFleetIdentities(out, hosts)), { mode: 0o644 });
    console.log(`wrote ${join(out, AUTHORIZATION_FILE)} and nkeys for admin, controller and ${hosts.length} host(s)`);
    return EXIT_OK;
  },
};

export default command;
