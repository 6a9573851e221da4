// A simulated Xen host: domains are created paused, run after their first
// unpause and shut down; a CPU policy can be set only before the first
// unpause (Xen's -EEXIST after creation_finished), otherwise it is staged and
// installed when the domain is next created. Every change is persisted
// atomically before it is acknowledged, together with the host's journal of
// the policies it really installed (what a fault test counts duplicates from).

import { join } from "node:path";
import { z } from "zod";
import type { GuestType } from "../../shared/schemas/guest.ts";
import { Serial } from "../serial.ts";
import { StateStore } from "../state-store.ts";
import { BackendRefusal, DomainRecord, type Backend, type ChangeOutcome, type PolicyChange, type PolicyRecord } from "./backend.ts";

/** One policy installed into a domain: set before its first unpause, or a staged one at its creation. */
export const Installation = z.object({
  domain: z.string(),
  hash: z.string(),
  requestId: z.string().optional(),
  generation: z.number().int().optional(),
  resourceUid: z.string().optional(),
});
export type Installation = z.output<typeof Installation>;

export const SimState = z.object({ version: z.literal(1), domains: z.array(DomainRecord), installed: z.array(Installation).default([]) });

export const SIM_STATE_FILE = "sim-domains.json";

export type DefaultPolicy = (guestType: GuestType) => PolicyRecord;

export class SimBackend implements Backend {
  readonly kind = "sim";
  readonly #store: StateStore<typeof SimState>;
  readonly #domains = new Map<string, DomainRecord>();
  readonly #installed: Installation[];
  readonly #serial = new Serial();
  readonly #defaultPolicy: DefaultPolicy;

  constructor(stateDir: string, defaultPolicy: DefaultPolicy) {
    this.#store = new StateStore(join(stateDir, SIM_STATE_FILE), SimState);
    this.#defaultPolicy = defaultPolicy;
    const state = this.#store.load();
    for (const d of state?.domains ?? []) this.#domains.set(d.name, d);
    this.#installed = state?.installed ?? [];
  }

  setPolicy(change: PolicyChange): Promise<ChangeOutcome> {
    return this.#serial.run(() => {
      const current = this.#domains.get(change.domain);
      const stamp = { lastRequestId: change.requestId, generation: change.generation, resourceUid: change.resourceUid };
      if (!current || current.state === "absent") {
        const d: DomainRecord = {
          name: change.domain,
          state: "absent",
          guestType: change.guestType,
          staged: change.policy,
          creationFinished: false,
          ...stamp,
        };
        this.#commit(d);
        return { result: "staged", domain: d, message: `domain ${change.domain} does not exist yet; the policy is applied when it is created` };
      }
      if (current.guestType && current.guestType !== change.guestType) {
        throw new BackendRefusal(`domain ${change.domain} is a ${current.guestType} guest, the policy is for ${change.guestType}`);
      }
      if (current.state === "paused" && !current.creationFinished) {
        const d: DomainRecord = { ...current, active: change.policy, staged: undefined, ...stamp };
        this.#commit(d, true);
        return { result: "applied", domain: d, message: `applied to domain ${change.domain} before its first unpause` };
      }
      if (current.active?.hash === change.policy.hash) {
        const d: DomainRecord = { ...current, staged: undefined, ...stamp };
        this.#commit(d);
        return { result: "applied", domain: d, message: `domain ${change.domain} already runs with this policy; staged change withdrawn` };
      }
      const d: DomainRecord = { ...current, staged: change.policy, ...stamp };
      this.#commit(d);
      const why = current.state === "shutdown" ? "is shut down" : "has already run (its policy is fixed at first unpause)";
      return { result: "staged", domain: d, message: `domain ${change.domain} ${why}; the policy takes effect at its next start` };
    });
  }

  domain(name: string): Promise<DomainRecord | undefined> {
    return this.#serial.run(() => this.#domains.get(name));
  }

  domains(): Promise<DomainRecord[]> {
    return this.#serial.run(() => [...this.#domains.values()].sort((a, b) => a.name.localeCompare(b.name)));
  }

  /** `xl create -p`: a new paused domain, with the policy staged for it or the host's default. */
  create(name: string, guestType?: GuestType): Promise<DomainRecord> {
    return this.#serial.run(() => this.#create(name, guestType));
  }

  /** Create if needed, then unpause: from here on the domain's policy is fixed. */
  start(name: string, guestType?: GuestType): Promise<DomainRecord> {
    return this.#serial.run(() => {
      let d = this.#domains.get(name);
      if (!d || d.state === "absent" || d.state === "shutdown") d = this.#create(name, guestType);
      if (d.state === "running") return d;
      const running: DomainRecord = { ...d, state: "running", creationFinished: true };
      this.#commit(running);
      return running;
    });
  }

  /** Shut the domain down; a staged policy waits for the next create/start. */
  stop(name: string): Promise<DomainRecord> {
    return this.#serial.run(() => {
      const d = this.#existing(name);
      const down: DomainRecord = { ...d, state: "shutdown" };
      this.#commit(down);
      return down;
    });
  }

  /** Forget the domain entirely, staged policy included. */
  destroy(name: string): Promise<void> {
    return this.#serial.run(() => {
      if (!this.#domains.has(name)) throw new BackendRefusal(`no domain ${name}`);
      const next = new Map(this.#domains);
      next.delete(name);
      this.#store.save({ version: 1, domains: [...next.values()], installed: this.#installed });
      this.#domains.delete(name);
    });
  }

  /** A live domain as it leaves for another host (`xl migrate`'s send side); it stays here until destroyed. */
  exportDomain(name: string): Promise<DomainRecord> {
    return this.#serial.run(() => {
      const d = this.#existing(name);
      if (d.state !== "paused" && d.state !== "running") throw new BackendRefusal(`domain ${name} is ${d.state}: only a live domain (paused or running) migrates`);
      return d;
    });
  }

  /** Takes in a domain migrated from another host, as it was there (state, policies, provenance). */
  adopt(d: DomainRecord): Promise<DomainRecord> {
    return this.#serial.run(() => {
      const here = this.#domains.get(d.name);
      if (here && (here.state === "paused" || here.state === "running")) throw new BackendRefusal(`domain ${d.name} already exists here (${here.state})`);
      this.#commit(d);
      return d;
    });
  }

  async close(): Promise<void> {
    await this.#serial.run(() => undefined);
  }

  #create(name: string, guestType: GuestType | undefined): DomainRecord {
    const d = this.#domains.get(name);
    if (d && (d.state === "paused" || d.state === "running")) throw new BackendRefusal(`domain ${name} already exists (${d.state})`);
    const type = guestType ?? d?.guestType ?? "hvm";
    if (d?.staged && d.guestType && d.guestType !== type) {
      throw new BackendRefusal(`domain ${name} has a staged ${d.guestType} policy; create it as ${d.guestType}`);
    }
    const created: DomainRecord = {
      name,
      state: "paused",
      guestType: type,
      active: d?.staged ?? (d?.guestType === type ? d.active : undefined) ?? this.#defaultPolicy(type),
      staged: undefined,
      creationFinished: false,
      // provenance: which request (and resource) gave the domain this policy
      lastRequestId: d?.lastRequestId,
      generation: d?.generation,
      resourceUid: d?.resourceUid,
    };
    this.#commit(created, d?.staged !== undefined);
    return created;
  }

  #existing(name: string): DomainRecord {
    const d = this.#domains.get(name);
    if (!d || d.state === "absent") throw new BackendRefusal(`no domain ${name}`);
    return d;
  }

  /** Persist first: memory never holds a change the disk does not. `installs`: d.active was just installed. */
  #commit(d: DomainRecord, installs = false): void {
    const next = new Map(this.#domains).set(d.name, d);
    const entry = installs && d.active ? { domain: d.name, hash: d.active.hash, requestId: d.lastRequestId, generation: d.generation, resourceUid: d.resourceUid } : undefined;
    this.#store.save({ version: 1, domains: [...next.values()], installed: entry ? [...this.#installed, entry] : this.#installed });
    this.#domains.set(d.name, d);
    if (entry) this.#installed.push(entry);
  }
}
