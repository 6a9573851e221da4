// On a Xen host the hypervisor's own policies are authoritative: `xen-cpuid -p`
// prints all six, `xl info` gives the version, boot command line and TSC frequency.

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { parseXenCpuidPolicy } from "../../shared/formats/xen-cpuid-policy.ts";
import { microcodeRevision } from "./cpuinfo.ts";
import { policiesFromXen, type Probe, type ProbeResult } from "./probe.ts";
import { parseXlInfo, xenFacts, xlTscKhz } from "./xl-info.ts";

const run = promisify(execFile);
const TOOL_TIMEOUT_MS = 30_000;

export async function runTool(path: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(path, args, { timeout: TOOL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    throw new Error(`${path} ${args.join(" ")} failed: ${err.stderr?.trim() || err.message}`, { cause: e });
  }
}

export class XenProbe implements Probe {
  readonly #xenCpuid: string;
  readonly #xl: string;
  readonly #cpuinfoPath: string;

  constructor(xenCpuid: string, xl: string, cpuinfoPath: string) {
    this.#xenCpuid = xenCpuid;
    this.#xl = xl;
    this.#cpuinfoPath = cpuinfoPath;
  }

  async run(): Promise<ProbeResult> {
    const [policyText, infoText, microcode] = await Promise.all([
      runTool(this.#xenCpuid, ["-p"]),
      runTool(this.#xl, ["info"]),
      microcodeRevision(this.#cpuinfoPath),
    ]);
    const source = `${this.#xenCpuid} -p`;
    const policies = policiesFromXen(parseXenCpuidPolicy(policyText, source), source);
    const info = parseXlInfo(infoText);
    const tscKhz = xlTscKhz(info);
    return { policies, facts: { probe: "xen", source, microcode, ...xenFacts(info) }, ...(tscKhz === undefined ? {} : { tscKhz }) };
  }
}
