// cpuidctl nats config --hosts <id…> --out <dir>

import { createUser, fromSeed } from "@nats-io/nkeys";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { EXIT_OK, UsageError, type Command } from "../command.ts";
import { parseCommandArgs } from "../policy-args.ts";
import { renderAuthorization } from "../../shared/nats/authorization.ts";
import { hostSeedFile, serviceSeedFile } from "../../shared/nats/credentials-layout.ts";
import { hostToken } from "../../shared/nats/subjects.ts";

export const AUTHORIZATION_FILE = "authorization.conf";

const usage = `usage: cpuidctl nats config --hosts <id> [<id>…] --out <dir>

Writes the nats-server authorization block for the fleet and one nkey per
identity (existing keys in <dir> are kept, so re-running with more hosts only
adds keys):

  <dir>/${AUTHORIZATION_FILE}      include it from nats-server.conf: include "${AUTHORIZATION_FILE}"
  <dir>/admin.nk                unrestricted (bucket setup, debugging)
  <dir>/controller.nk           the controller
  <dir>/hosts/<token>.nk        one per host: give each agent only its own
                                (cpuid-fleet-agent --nkey-seed-file)

Each host may write only its own key in the cpuid-hosts bucket, receive only
its own requests, publish only its own heartbeat and read only its own inbox.`;

/** The public key of the seed in `file`, creating a new user nkey there if there is none. */
function ensureSeed(file: string): string {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${new TextDecoder().decode(createUser().getSeed())}\n`, { mode: 0o600, flag: "wx" });
  }
  return fromSeed(new TextEncoder().encode(readFileSync(file, "utf8").trim())).getPublicKey();
}

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
    const identities = {
      adminPublicKey: ensureSeed(serviceSeedFile(out, "admin")),
      controllerPublicKey: ensureSeed(serviceSeedFile(out, "controller")),
      hosts: hosts.map((hostId) => ({ hostId, publicKey: ensureSeed(hostSeedFile(out, hostId)) })),
    };
    writeFileSync(join(out, AUTHORIZATION_FILE), renderAuthorization(identities), { mode: 0o644 });
    console.log(`wrote ${join(out, AUTHORIZATION_FILE)} and nkeys for admin, controller and ${hosts.length} host(s)`);
    return EXIT_OK;
  },
};

export default command;
