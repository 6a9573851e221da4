// cpuidctl: the operators' CLI. Dispatches `cpuidctl <group> <verb> …` (or a
// one-word command such as `audit`) through the command table below; each
// command is a small module, loaded only when it runs (or for --help).

import { EXIT_BAD_INPUT, UsageError, type Command } from "./command.ts";
import { FormatError } from "../shared/formats/format-error.ts";
import { PolicyFormatError } from "../shared/policy/serialise.ts";

const defaultCommand = (load: () => Promise<{ default: Command }>) => async () => (await load()).default;
const simCommand = (verb: "create" | "destroy" | "list" | "start" | "stop") => async () => (await import("./commands/sim.ts")).simCommands[verb];

/** command words → its module, in the order `cpuidctl --help` lists them */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  audit: defaultCommand(() => import("./commands/audit.ts")),
  "hosts get": defaultCommand(() => import("./commands/hosts-get.ts")),
  "hosts list": defaultCommand(() => import("./commands/hosts-list.ts")),
  "nats config": defaultCommand(() => import("./commands/nats-config.ts")),
  "policy audit": defaultCommand(() => import("./commands/policy-audit.ts")),
  "policy derive": defaultCommand(() => import("./commands/policy-derive.ts")),
  "policy explain": defaultCommand(() => import("./commands/policy-explain.ts")),
  "policy level": defaultCommand(() => import("./commands/policy-level.ts")),
  "policy libxl": defaultCommand(() => import("./commands/policy-libxl.ts")),
  "policy show": defaultCommand(() => import("./commands/policy-show.ts")),
  "pool relevel": defaultCommand(() => import("./commands/pool-relevel.ts")),
  "sim create": simCommand("create"),
  "sim destroy": simCommand("destroy"),
  "sim list": simCommand("list"),
  "sim start": simCommand("start"),
  "sim stop": simCommand("stop"),
};

async function help(): Promise<void> {
  const lines = ["usage: cpuidctl <group> <command> [options]", "", "commands:"];
  for (const [name, load] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(22)} ${(await load()).summary}`);
  lines.push("", "Run `cpuidctl <group> <command> --help` for a command's options.");
  console.log(lines.join("\n"));
}

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    await help();
    return 0;
  }
  const two = argv.slice(0, 2).join(" ");
  const words = argv.length > 1 && Object.hasOwn(COMMANDS, two) ? 2 : Object.hasOwn(COMMANDS, argv[0]) ? 1 : 0;
  if (!words) {
    console.error(`cpuidctl: unknown command "${two}"; run cpuidctl --help`);
    return EXIT_BAD_INPUT;
  }
  const cmd = await COMMANDS[argv.slice(0, words).join(" ")]();
  const rest = argv.slice(words);
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(cmd.usage);
    return 0;
  }
  return cmd.run(rest);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  if (e instanceof UsageError || e instanceof FormatError || e instanceof PolicyFormatError) {
    console.error(`cpuidctl: ${e.message}`);
    process.exitCode = EXIT_BAD_INPUT;
  } else {
    throw e;
  }
}
