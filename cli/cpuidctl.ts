// cpuidctl: the operators' CLI, also `kubectl cpuid` (bin/kubectl-cpuid).
// Takes kubectl's global flags out of argv first, then dispatches
// `cpuidctl <group> <verb> …` (or a one-word command such as `audit`) through
// the command table below; each command is a small module, loaded only when
// it runs (or for --help).

import { EXIT_BAD_INPUT, UsageError, type Command } from "./command.ts";
import { FormatError } from "../shared/formats/format-error.ts";
import { PolicyFormatError } from "../shared/policy/serialise.ts";
import { KUBE_USAGE, takeKubeFlags } from "./kube-target.ts";

/** how the user called us, for help texts: bin/kubectl-cpuid sets CPUIDCTL_KUBECTL_PLUGIN */
const PROGRAM = process.env.CPUIDCTL_KUBECTL_PLUGIN ? "kubectl cpuid" : "cpuidctl";

const defaultCommand = (load: () => Promise<{ default: Command }>) => async () => (await load()).default;
const simCommand = (verb: "create" | "destroy" | "list" | "start" | "stop") => async () => (await import("./commands/sim.ts")).simCommands[verb];

/** command words → its module, in the order `cpuidctl --help` lists them */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  audit: defaultCommand(() => import("./commands/audit.ts")),
  "fleet report": defaultCommand(() => import("./commands/fleet-report.ts")),
  "hosts get": defaultCommand(() => import("./commands/hosts-get.ts")),
  "hosts level": defaultCommand(() => import("./commands/hosts-level.ts")),
  "hosts list": defaultCommand(() => import("./commands/hosts-list.ts")),
  "migrate check": defaultCommand(() => import("./commands/migrate-check.ts")),
  "nats config": defaultCommand(() => import("./commands/nats-config.ts")),
  "policy audit": defaultCommand(() => import("./commands/policy-audit.ts")),
  "policy derive": defaultCommand(() => import("./commands/policy-derive.ts")),
  "policy explain": defaultCommand(() => import("./commands/policy-explain.ts")),
  "policy level": defaultCommand(() => import("./commands/policy-level.ts")),
  "policy libxl": defaultCommand(() => import("./commands/policy-libxl.ts")),
  "policy show": defaultCommand(() => import("./commands/policy-show.ts")),
  "pool relevel": defaultCommand(() => import("./commands/pool-relevel.ts")),
  "rollout plan": defaultCommand(() => import("./commands/rollout-plan.ts")),
  "rollout resume": async () => (await import("./commands/rollout-control.ts")).resume,
  "rollout status": defaultCommand(() => import("./commands/rollout-status.ts")),
  "rollout undo": async () => (await import("./commands/rollout-control.ts")).undo,
  "sim create": simCommand("create"),
  "sim destroy": simCommand("destroy"),
  "sim list": simCommand("list"),
  "sim migrate": defaultCommand(() => import("./commands/sim-migrate.ts")),
  "sim start": simCommand("start"),
  "sim stop": simCommand("stop"),
};

/** one word that stands for a command of the table, when no two-word command matches */
const SHORT_FORMS: Readonly<Record<string, string>> = { hosts: "hosts list", explain: "policy explain" };

async function help(): Promise<void> {
  const lines = [`usage: ${PROGRAM} <group> <command> [options]`, "", "commands:"];
  for (const [name, load] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(22)} ${(await load()).summary}`);
  for (const [short, name] of Object.entries(SHORT_FORMS)) lines.push(`  ${short.padEnd(22)} short for ${name}`);
  lines.push("", KUBE_USAGE, "", `Run \`${PROGRAM} <group> <command> --help\` for a command's options.`);
  console.log(lines.join("\n"));
}

function expandShortForm(argv: string[]): string[] {
  if (!Object.hasOwn(SHORT_FORMS, argv[0] ?? "") || Object.hasOwn(COMMANDS, argv.slice(0, 2).join(" "))) return argv;
  return [...SHORT_FORMS[argv[0]].split(" "), ...argv.slice(1)];
}

async function main(args: string[]): Promise<number> {
  const { target, rest } = takeKubeFlags(args);
  const argv = expandShortForm(rest);
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    await help();
    return 0;
  }
  const two = argv.slice(0, 2).join(" ");
  const words = argv.length > 1 && Object.hasOwn(COMMANDS, two) ? 2 : Object.hasOwn(COMMANDS, argv[0]) ? 1 : 0;
  if (!words) {
    console.error(`${PROGRAM}: unknown command "${two}"; run ${PROGRAM} --help`);
    return EXIT_BAD_INPUT;
  }
  const cmd = await COMMANDS[argv.slice(0, words).join(" ")]();
  const commandArgs = argv.slice(words);
  if (commandArgs.includes("--help") || commandArgs.includes("-h")) {
    console.log(cmd.usage);
    return 0;
  }
  return cmd.run(commandArgs, target);
}

// no top-level await: scripts/bundle-cli.ts bundles this as CommonJS
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (!(e instanceof UsageError || e instanceof FormatError || e instanceof PolicyFormatError)) throw e;
    console.error(`${PROGRAM}: ${e.message}`);
    process.exitCode = EXIT_BAD_INPUT;
  },
);
