// cpuidctl: the operators' CLI. Dispatches `cpuidctl <group> <verb> …` to
// cli/commands/<group>-<verb>.ts so each command stays a small module.

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { EXIT_BAD_INPUT, UsageError, type Command } from "./command.ts";
import { FormatError } from "../shared/formats/format-error.ts";
import { PolicyFormatError } from "../shared/policy/serialise.ts";

const COMMANDS_DIR = join(import.meta.dirname, "commands");

function commandNames(): string[] {
  return readdirSync(COMMANDS_DIR)
    .filter((f) => f.endsWith(".ts"))
    .map((f) => f.slice(0, -3))
    .sort();
}

async function load(name: string): Promise<Command> {
  return (await import(join(COMMANDS_DIR, `${name}.ts`))).default as Command;
}

async function help(): Promise<void> {
  const lines = ["usage: cpuidctl <group> <command> [options]", "", "commands:"];
  for (const name of commandNames()) {
    const cmd = await load(name);
    lines.push(`  ${name.replace("-", " ").padEnd(22)} ${cmd.summary}`);
  }
  lines.push("", "Run `cpuidctl <group> <command> --help` for a command's options.");
  console.log(lines.join("\n"));
}

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    await help();
    return 0;
  }
  const names = commandNames();
  // `cpuidctl audit -f x` is a one-word command; others are <group> <verb>.
  const two = argv.length > 1 ? `${argv[0]}-${argv[1]}` : "";
  const name = names.includes(two) ? two : names.includes(argv[0]) ? argv[0] : undefined;
  if (!name) {
    console.error(`cpuidctl: unknown command "${argv.slice(0, 2).join(" ")}"; run cpuidctl --help`);
    return EXIT_BAD_INPUT;
  }
  const cmd = await load(name);
  const rest = argv.slice(name === two ? 2 : 1);
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
