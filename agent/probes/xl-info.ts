// `xl info` output ("key                    : value" lines) and the parts of
// it that go into the host fingerprint.

import type { ProbeFacts } from "./probe.ts";

export function parseXlInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^(\w+)\s*:\s?(.*)$/.exec(line);
    if (m) fields.set(m[1], m[2].trim());
  }
  return fields;
}

/** The value of Xen's `cpuid=` boot option, if the command line has one. */
export function cpuidOption(commandLine: string): string | undefined {
  for (const word of commandLine.split(/\s+/)) if (word.startsWith("cpuid=")) return word.slice("cpuid=".length);
  return undefined;
}

export function xenFacts(info: Map<string, string>): Pick<ProbeFacts, "xenVersion" | "xenCommandLine" | "cpuidCmdline"> {
  const major = info.get("xen_major");
  const minor = info.get("xen_minor");
  const version = info.get("xen_version") ?? (major !== undefined && minor !== undefined ? `${major}.${minor}${info.get("xen_extra") ?? ""}` : undefined);
  const commandLine = info.get("xen_commandline");
  return {
    xenVersion: version,
    xenCommandLine: commandLine,
    cpuidCmdline: commandLine === undefined ? undefined : cpuidOption(commandLine),
  };
}
