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

/**
 * Xen's cpu_khz, which on x86 is the TSC frequency it calibrated at boot
 * (early_time_init in xen/arch/x86/time.c). Today's xl (tools/xl/xl_info.c)
 * prints it exactly as "cpu_mhz : MHz.kHz"; older xl printed whole MHz
 * (truncated, up to 999 kHz off: too coarse for the pool's TSC tolerance), so
 * that form gives undefined.
 */
export function xlTscKhz(info: Map<string, string>): number | undefined {
  const m = /^(\d+)\.(\d{3})$/.exec(info.get("cpu_mhz") ?? "");
  if (!m) return undefined;
  const khz = Number(m[1]) * 1000 + Number(m[2]);
  return khz > 0 ? khz : undefined;
}
