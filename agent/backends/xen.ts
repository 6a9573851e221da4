// A real Xen host through its toolstack. xl has no way to change a domain's
// CPU policy once created, so every policy is staged: written as an xl.cfg
// `cpuid=` line (libxl format, relative to the host's default policy) in
// <state-dir>/xl/<domain>.cpuid.cfg for the domain's next `xl create`. A poll
// of `xl list` notices each new domain instance and checks its policy with
// `xen-cpuid -p <domid>`; a match makes the staged policy the active one.
// xenstored's domain watches (./xenstore-watch.ts) trigger that poll as soon
// as a domain is built or dies; the periodic poll is the fallback, and the
// only way to see a paused domain unpaused (xenstore has no event for that).

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import { z } from "zod";
import { featureByName } from "../../shared/featureset/features.ts";
import { featureNames, setFeature, type Featureset } from "../../shared/featureset/featureset.ts";
import { parseXenVersion, type XenVersion } from "../../shared/featureset/releases.ts";
import { cpuidSettingFromPolicies } from "../../shared/formats/libxl-cpuid.ts";
import { parseXenCpuidPolicy } from "../../shared/formats/xen-cpuid-policy.ts";
import { policyHash } from "../../shared/policy/canonical.ts";
import type { CpuPolicy } from "../../shared/policy/cpu-policy.ts";
import { policyFeatureset } from "../../shared/policy/featureset-io.ts";
import { deserialisePolicy, serialisePolicy } from "../../shared/policy/serialise.ts";
import type { GuestType } from "../../shared/schemas/guest.ts";
import { policyFromJson, policyToJson } from "../../shared/policy/policy-json.ts";
import type { AgentMetrics } from "../metrics.ts";
import { runTool } from "../probes/xen.ts";
import { parseXlInfo, xenFacts } from "../probes/xl-info.ts";
import { Serial } from "../serial.ts";
import { StateStore, writeFileAtomic } from "../state-store.ts";
import { BackendRefusal, DomainRecord, type Backend, type ChangeOutcome, type PolicyChange } from "./backend.ts";
import { XenstoreWatch } from "./xenstore-watch.ts";

const XenDomain = DomainRecord.extend({ domid: z.number().int().optional() });
type XenDomain = z.output<typeof XenDomain>;
const XenState = z.object({ version: z.literal(1), domains: z.array(XenDomain) });

export const XEN_STATE_FILE = "xen-domains.json";
export const XL_CONFIG_DIR = "xl";

/** Bits libxl sets per domain from its xl.cfg (tsc_mode, nested_virt, pae, topology), not from cpuid=. */
const TOOLSTACK_ADJUSTED = ["htt", "cmp-legacy", "itsc", "vmx", "svm", "pae"].map((n) => featureByName(n)!);

export interface XenBackendOptions {
  stateDir: string;
  xl: string;
  xenCpuid: string;
  pollIntervalMs: number;
  /** xenstore-watch, run for @introduceDomain and @releaseDomain */
  xenstoreWatch: string;
  defaultPolicy: (guestType: GuestType) => CpuPolicy;
  /** a domain appeared, started, stopped or disappeared (not called for policy changes) */
  onDomainChange: (domain: string) => void;
  log: Logger;
  metrics: AgentMetrics;
}

interface ListedDomain {
  domid: number;
  state: "paused" | "running" | "shutdown";
}

/** `xl list`: "Name ID Mem VCPUs State Time(s)"; State is six flag columns r b p s c d. */
export function parseXlList(text: string): Map<string, ListedDomain> {
  const out = new Map<string, ListedDomain>();
  for (const line of text.split("\n").slice(1)) {
    const m = /^(\S+)\s+(\d+)\s+\d+\s+\d+\s+([-rbpscd]{6})\s/.exec(line);
    if (!m || m[2] === "0") continue;
    const flags = m[3];
    const state = /[scd]/.test(flags) ? "shutdown" : flags.includes("p") ? "paused" : "running";
    out.set(m[1], { domid: Number(m[2]), state });
  }
  return out;
}

export function xlConfigPath(stateDir: string, domain: string): string {
  return join(stateDir, XL_CONFIG_DIR, `${domain}.cpuid.cfg`);
}

export class XenBackend implements Backend {
  readonly kind = "xen";
  readonly #o: XenBackendOptions;
  readonly #store: StateStore<typeof XenState>;
  readonly #domains = new Map<string, XenDomain>();
  readonly #serial = new Serial();
  readonly #timer: NodeJS.Timeout;
  readonly #watch: XenstoreWatch;
  #pollQueued = false;
  #version: XenVersion | undefined;

  constructor(options: XenBackendOptions) {
    this.#o = options;
    this.#store = new StateStore(join(options.stateDir, XEN_STATE_FILE), XenState);
    mkdirSync(join(options.stateDir, XL_CONFIG_DIR), { recursive: true, mode: 0o755 });
    for (const d of this.#store.load()?.domains ?? []) this.#domains.set(d.name, d);
    this.#timer = setInterval(() => this.#pollSoon(), options.pollIntervalMs);
    this.#timer.unref();
    this.#watch = new XenstoreWatch(options.xenstoreWatch, () => this.#pollSoon(), options.log);
  }

  setPolicy(change: PolicyChange): Promise<ChangeOutcome> {
    return this.#serial.run(async () => {
      await this.#refresh();
      const current = this.#domains.get(change.domain);
      const target = deserialisePolicy(policyFromJson(change.policy.policy));
      const version = await this.#xenVersion();
      let cpuid: string;
      try {
        cpuid = cpuidSettingFromPolicies(policyFeatureset(target), policyFeatureset(this.#o.defaultPolicy(change.guestType)), version);
      } catch (e) {
        throw new BackendRefusal(`cannot express the policy as an xl.cfg cpuid= string: ${(e as Error).message}`);
      }
      const file = xlConfigPath(this.#o.stateDir, change.domain);
      writeFileAtomic(
        file,
        `# cpuid-fleet: ${change.guestType} policy ${change.policy.hash} (request ${change.requestId}, generation ${change.generation})\ncpuid = ${cpuid}\n`,
      );
      const stamp = { lastRequestId: change.requestId, generation: change.generation, resourceUid: change.resourceUid, guestType: change.guestType };
      const exists = current !== undefined && current.state !== "absent" && current.state !== "shutdown";
      if (exists && current.active?.hash === change.policy.hash) {
        const d = { ...current, staged: undefined, ...stamp };
        this.#commit(d);
        return { result: "applied", domain: d, message: `domain ${change.domain} already runs with this policy; ${file} keeps it for later starts` };
      }
      const d: XenDomain = current
        ? { ...current, staged: change.policy, ...stamp }
        : { name: change.domain, state: "absent", creationFinished: false, staged: change.policy, ...stamp };
      this.#commit(d);
      const when = exists ? "its next start" : "its creation";
      return { result: "staged", domain: d, message: `staged in ${file} (cpuid=${cpuid}); takes effect at ${when} and is verified with xen-cpuid` };
    });
  }

  domain(name: string): Promise<DomainRecord | undefined> {
    return this.#serial.run(() => this.#domains.get(name));
  }

  domains(): Promise<DomainRecord[]> {
    return this.#serial.run(() => [...this.#domains.values()].sort((a, b) => a.name.localeCompare(b.name)));
  }

  /** Notice started and stopped domains; verify the policy of each new instance. */
  poll(): Promise<void> {
    return this.#serial.run(() => this.#refresh());
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#watch.close();
    await this.#serial.run(() => undefined);
  }

  /** One poll soon; a burst of triggers while one waits to run adds no other. */
  #pollSoon(): void {
    if (this.#pollQueued) return;
    this.#pollQueued = true;
    this.#serial
      .run(() => {
        this.#pollQueued = false;
        return this.#refresh();
      })
      .catch((err: Error) => this.#o.log.warn({ err: err.message }, "xl poll failed"));
  }

  /** The host's Xen release, from `xl info` once: which feature names its libxl knows. */
  async #xenVersion(): Promise<XenVersion> {
    if (this.#version) return this.#version;
    const reported = xenFacts(parseXlInfo(await runTool(this.#o.xl, ["info"]))).xenVersion;
    if (reported === undefined) throw new BackendRefusal("xl info reports no Xen version, so the libxl cpuid= names it accepts are unknown");
    try {
      this.#version = parseXenVersion(reported);
    } catch (e) {
      throw new BackendRefusal(`xl info: ${(e as Error).message}`);
    }
    return this.#version;
  }

  async #refresh(): Promise<void> {
    const listed = parseXlList(await runTool(this.#o.xl, ["list"]));
    for (const [name, seen] of listed) {
      const d = this.#domains.get(name);
      if (d?.domid === seen.domid) {
        if (d.state !== seen.state) this.#commitChange({ ...d, state: seen.state, creationFinished: d.creationFinished || seen.state === "running" });
        continue;
      }
      try {
        this.#commitChange(await this.#verifyNewInstance(name, seen, d));
      } catch (err) {
        // e.g. destroyed between `xl list` and `xen-cpuid`: the next poll looks again
        this.#o.log.warn({ domain: name, domid: seen.domid, err: (err as Error).message }, "could not read the domain's policy");
      }
    }
    for (const d of this.#domains.values()) {
      if (!listed.has(d.name) && d.domid !== undefined && d.state !== "shutdown") this.#commitChange({ ...d, state: "shutdown", domid: undefined });
    }
  }

  async #verifyNewInstance(name: string, seen: ListedDomain, d: XenDomain | undefined): Promise<XenDomain> {
    const out = parseXenCpuidPolicy(await runTool(this.#o.xenCpuid, ["-p", String(seen.domid)]), `xen-cpuid -p ${seen.domid}`);
    const block = out.blocks.find((b) => b.name === `domain:${seen.domid}`);
    if (!block) throw new Error(`xen-cpuid -p ${seen.domid} printed no domain policy`);
    const observed = { hash: policyHash(block.policy), policy: policyToJson(serialisePolicy(block.policy)) };
    const base: XenDomain = d ?? { name, state: seen.state, creationFinished: false };
    const next: XenDomain = { ...base, state: seen.state, domid: seen.domid, creationFinished: seen.state === "running" };
    if (!d?.staged) return { ...next, active: observed };
    const differing = featureNames(differingFeatures(policyFeatureset(block.policy), policyFeatureset(deserialisePolicy(policyFromJson(d.staged.policy)))));
    if (differing.length === 0) {
      this.#o.metrics.xenVerifications.inc({ result: "match" });
      this.#o.log.info({ domain: name, domid: seen.domid, hash: d.staged.hash }, "staged policy verified on the started domain");
      return { ...next, active: d.staged, staged: undefined };
    }
    this.#o.metrics.xenVerifications.inc({ result: "mismatch" });
    this.#o.log.error({ domain: name, domid: seen.domid, staged: d.staged.hash, differing }, "started domain does not run the staged policy (was it created with its cpuid= file?)");
    return { ...next, active: observed };
  }

  /** A change Xen made (not a request): recorded, then announced. */
  #commitChange(d: XenDomain): void {
    this.#commit(d);
    this.#o.onDomainChange(d.name);
  }

  #commit(d: XenDomain): void {
    const next = new Map(this.#domains).set(d.name, d);
    this.#store.save({ version: 1, domains: [...next.values()] });
    this.#domains.set(d.name, d);
  }
}

function differingFeatures(a: Featureset, b: Featureset): Featureset {
  const diff = a.map((w, i) => (w ^ b[i]) >>> 0) as Featureset;
  for (const f of TOOLSTACK_ADJUSTED) setFeature(diff, f, false);
  return diff;
}
