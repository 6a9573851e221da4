// `cpuidctl sim <verb>`: lifecycle of a sim-backend agent's domains, through
// the agent's admin socket in its state directory (agent/sim-admin.ts).

import { EXIT_BAD_INPUT, EXIT_OK, UsageError, printJson, type Command } from "./command.ts";
import { parseCommandArgs } from "./policy-args.ts";
import { domainInfo, type DomainRecord } from "../agent/backends/backend.ts";
import { simAdmin } from "../agent/sim-admin.ts";
import { GuestType } from "../shared/schemas/guest.ts";

type Verb = "create" | "start" | "stop" | "destroy" | "list";

const DEFAULT_STATE_DIR = "/var/lib/cpuid-fleet-agent";

export function simCommand(verb: Verb, summary: string, detail: string): Command {
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
        const result = await simAdmin(stateDir, verb, positionals[0], type?.data);
        const show = (d: DomainRecord) => domainInfo(d, false);
        printJson(Array.isArray(result) ? result.map(show) : "name" in result ? show(result) : result);
        return EXIT_OK;
      } catch (e) {
        console.error(`cpuidctl: ${(e as Error).message}`);
        return EXIT_BAD_INPUT;
      }
    },
  };
}
