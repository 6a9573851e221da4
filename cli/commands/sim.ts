// `cpuidctl sim <verb>`: lifecycle of a sim-backend agent's domains, through
// the agent's admin socket in its state directory (cli/sim-admin-client.ts).

import { EXIT_BAD_INPUT, EXIT_OK, UsageError, printJson, type Command } from "../command.ts";
import { parseCommandArgs } from "../policy-args.ts";
import { simAdmin } from "../sim-admin-client.ts";
import { GuestType } from "../../shared/schemas/guest.ts";
import type { SimAction } from "../../shared/schemas/sim-admin.ts";

const DEFAULT_STATE_DIR = "/var/lib/cpuid-fleet-agent";

type LifecycleAction = Exclude<SimAction, "export" | "import">;

function simCommand(verb: LifecycleAction, summary: string, detail: string): Command {
  const takesDomain = verb !== "list";
  const takesType = verb === "create" || verb === "start";
  const usage = [
    `usage: cpuidctl sim ${verb}${takesDomain ? " <domain>" : ""}${takesType ? " [--type hvm|pv]" : ""} [--state-dir <dir>]`,
    "",
    detail,
    "",
    `  --state-dir <dir>   the sim agent's state dir (default $CPUID_FLEET_AGENT_STATE_DIR or ${DEFAULT_STATE_DIR})`,
    ...(takesType ? ["  --type hvm|pv       guest type of a new domain (default: a staged policy's, else hvm)"] : []),
  ].join("\n");
  return {
    summary,
    usage,
    async run(args) {
      const { values, positionals } = parseCommandArgs(
        args,
        { "state-dir": { type: "string" }, ...(takesType ? { type: { type: "string" } } : {}) },
        usage,
      );
      if (positionals.length !== (takesDomain ? 1 : 0)) throw new UsageError(usage);
      const type = values.type === undefined ? undefined : GuestType.safeParse(values.type);
      if (type && !type.success) throw new UsageError("--type must be hvm or pv");
      const stateDir = values["state-dir"] ?? process.env.CPUID_FLEET_AGENT_STATE_DIR ?? DEFAULT_STATE_DIR;
      try {
        printJson(await simAdmin(stateDir, verb, positionals[0], type?.data));
        return EXIT_OK;
      } catch (e) {
        console.error(`cpuidctl: ${(e as Error).message}`);
        return EXIT_BAD_INPUT;
      }
    },
  };
}

export const simCommands: Record<LifecycleAction, Command> = {
  create: simCommand("create", "sim backend: create a domain, paused (xl create -p)", "Creates the domain paused; a policy staged for it is installed now, else the host's default."),
  destroy: simCommand("destroy", "sim backend: forget a domain and its staged policy", "Removes the domain from the sim host entirely, staged policy included."),
  list: simCommand("list", "sim backend: list domains with their policy hashes", "Lists the sim host's domains: state, guest type, active and staged policy hashes."),
  start: simCommand(
    "start",
    "sim backend: create if needed and unpause a domain",
    "Unpauses the domain (creating it first if needed). From its first unpause on, its CPU policy is fixed; later policies are staged for its next start.",
  ),
  stop: simCommand("stop", "sim backend: shut a domain down", "Shuts the domain down; a staged policy is installed when it is next created or started."),
};
