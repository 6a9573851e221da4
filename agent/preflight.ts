// What the agent checks before it starts: its NATS identity (a host's seed must
// exist, hold a user seed and be readable by the agent alone), its state
// directory and files (writable by the agent alone) and, for the xen probe or
// backend, Xen's tools. Each failure names the setting to fix;
// all are reported together.

import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { ConfigError } from "../runtime/settings.ts";
import { seedFileProblem } from "../runtime/nkey-seed.ts";
import { type StatePath, unsafeStateProblem } from "../runtime/state-permissions.ts";
import { SIM_STATE_FILE } from "./backends/sim.ts";
import { XEN_STATE_FILE, XL_CONFIG_DIR } from "./backends/xen.ts";
import type { AgentConfig } from "./config.ts";

/** Where Debian's xen-utils-4.17 installs xen-cpuid (not on PATH). */
export const DEBIAN_XEN_CPUID = "/usr/lib/xen-4.17/bin/xen-cpuid";

/** `command` as run by execFile: a path as given, a bare name looked up on PATH; undefined when not executable. */
export function resolveExecutable(command: string, path = process.env.PATH ?? ""): string | undefined {
  const candidates = command.includes("/") ? [command] : path.split(delimiter).filter(Boolean).map((dir) => join(dir, command));
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

type PreflightConfig = Pick<AgentConfig, "natsSeedFile" | "probe" | "backend" | "xenCpuidPath" | "xlPath" | "stateDir">;

/** Everything under --state-dir the agent loads at start or hands to xl. */
function agentStatePaths(stateDir: string): StatePath[] {
  const risk = "can change what this agent believes it applied";
  return [
    { path: stateDir, what: "agent state directory", risk: `${risk} (or replace its files)` },
    { path: join(stateDir, SIM_STATE_FILE), what: "sim backend state file", risk },
    { path: join(stateDir, XEN_STATE_FILE), what: "xen backend state file", risk },
    { path: join(stateDir, XL_CONFIG_DIR), what: "xl config directory", risk: "can change the CPUID policy xl gives a domain" },
  ];
}

export function agentPreflightProblems(c: PreflightConfig, path = process.env.PATH ?? ""): string[] {
  const problems: string[] = [];
  if (c.natsSeedFile !== undefined) {
    const problem = seedFileProblem(c.natsSeedFile, { ownerOnly: true });
    if (problem) problems.push(`${problem} (--nats-seed-file, CPUID_FLEET_AGENT_NATS_SEED_FILE)`);
  }
  for (const statePath of agentStatePaths(c.stateDir)) {
    const problem = unsafeStateProblem(statePath);
    if (problem) problems.push(`${problem} (--state-dir, CPUID_FLEET_AGENT_STATE_DIR)`);
  }
  if (c.probe === "xen" || c.backend === "xen") {
    const user = [c.probe === "xen" ? "--probe xen" : "", c.backend === "xen" ? "--backend xen" : ""].filter(Boolean).join(" and ");
    if (!resolveExecutable(c.xenCpuidPath, path)) {
      problems.push(`xen-cpuid not found or not executable: ${c.xenCpuidPath} (--xen-cpuid, CPUID_FLEET_AGENT_XEN_CPUID); ${user} need Xen's tools, on Debian ${DEBIAN_XEN_CPUID} from xen-utils-4.17`);
    }
    if (!resolveExecutable(c.xlPath, path)) {
      problems.push(`xl not found or not executable: ${c.xlPath} (--xl, CPUID_FLEET_AGENT_XL); ${user} need Xen's toolstack`);
    }
  }
  return problems;
}

export function agentPreflight(c: PreflightConfig): void {
  const problems = agentPreflightProblems(c);
  if (problems.length > 0) throw new ConfigError(`cannot start:\n  ${problems.join("\n  ")}`);
}
