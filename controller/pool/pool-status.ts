// One pool's desired state: members, level, limiting and refused hosts,
// conditions, the events to record and whether the level annotation must be
// (re)written. Pure; controller/pool/reconciler.ts does the I/O.
//
// The level is kept in the pool's level annotation
// (shared/pool/level-annotation.ts). Pinned pools: computed once from the
// first members, then only replaced by a relevel whose confirmed hash equals
// what the selected hosts give now. Automatic pools relevel on every
// membership change and store each new level.

import type { CpuidPoolObject, CpuidPoolStatus } from "../../shared/api/v1alpha1/cpuid-pool.ts";
import type { Condition } from "../../shared/schemas/conditions.ts";
import { RELEVEL_CONFIRM_ANNOTATION, levelStatus, toStoredLevel, readStoredLevel, type Level, type StoredLevel } from "../../shared/pool/level-annotation.ts";
import { admit, levelHosts, type Refusal, type SelectedHost } from "../../shared/pool/pool-members.ts";
import type { EventSpec } from "../kube/events.ts";
import { setCondition, type ConditionUpdate } from "../status/conditions.ts";

export interface PoolDecision {
  status: CpuidPoolStatus;
  /** write this as the stored level (first levelling, a confirmed relevel, or an Automatic pool's new level) */
  store?: StoredLevel;
  /** remove the relevel confirmation (honoured or refused) */
  clearConfirm: boolean;
  events: EventSpec[];
  levelChanged: boolean;
}

const refusalText = (r: Refusal) => `${r.host} lacks ${r.missing.join(", ")}`;

export function decidePool(pool: CpuidPoolObject, selected: readonly SelectedHost[], now: Date): PoolDecision {
  const guest = pool.spec.guestType;
  const generation = pool.metadata.generation ?? 0;
  const previous = pool.status;
  const events: EventSpec[] = [];
  let conditions: Condition[] | undefined = previous?.conditions;
  const set = (u: ConditionUpdate) => (conditions = setCondition(conditions, u, generation, now));
  const done = (status: Omit<CpuidPoolStatus, "conditions" | "observedGeneration">, extra: Partial<PoolDecision> = {}): PoolDecision => ({
    status: { observedGeneration: generation, ...status, conditions },
    clearConfirm: false,
    events,
    levelChanged: false,
    ...extra,
  });
  const notReady = (reason: string, message: string, incompatible: { reason: string; message: string } | undefined, extra: Partial<PoolDecision> = {}) => {
    set({ type: "Ready", status: "False", reason, message });
    set(incompatible ? { type: "HostIncompatible", status: "True", ...incompatible } : { type: "HostIncompatible", status: "False", reason: "AllHostsCompatible", message: "no selected host is refused" });
    return done({ members: [], memberCount: 0 }, extra);
  };
  const noMembers = (extra: Partial<PoolDecision> = {}) => notReady("NoMembers", "the selector matches no host with a published guest max policy", undefined, extra);
  const cannotLevel = (errors: string[], extra: Partial<PoolDecision> = {}) =>
    notReady("CannotLevel", errors.join("; "), { reason: "CannotLevel", message: errors.join("; ") }, extra);

  let level: Level;
  let store: StoredLevel | undefined;
  let clearConfirm = false;
  let changedFrom: string | undefined;
  if (pool.spec.levelPolicy === "Automatic") {
    if (selected.length === 0) return noMembers();
    const fresh = levelHosts(selected, guest);
    if (!fresh.level) return cannotLevel(fresh.errors);
    level = fresh.level;
    if (previous?.level && previous.level.hash !== level.hash) changedFrom = previous.level.hash;
    const stored = readStoredLevel(pool.metadata.annotations);
    if (stored.level?.hash !== level.hash || stored.guestType !== guest) store = toStoredLevel(level, guest);
  } else {
    const stored = readStoredLevel(pool.metadata.annotations);
    if (stored.error) return notReady("PinnedLevelInvalid", `${stored.error}; the level is not recomputed silently: relevel with cpuidctl pool relevel`, undefined);
    let pinned = stored.level;
    const confirm = pool.metadata.annotations?.[RELEVEL_CONFIRM_ANNOTATION];
    if (confirm !== undefined) {
      clearConfirm = true;
      const fresh = levelHosts(selected, guest);
      if (fresh.level && fresh.level.hash === confirm) {
        if (pinned && pinned.hash !== confirm) changedFrom = pinned.hash;
        pinned = fresh.level;
        store = toStoredLevel(pinned, guest);
      } else {
        const now = fresh.level ? `the selected hosts give ${fresh.level.hash} now` : `the selected hosts cannot be levelled: ${fresh.errors.join("; ")}`;
        events.push({ type: "Warning", reason: "RelevelRefused", action: "Relevel", note: `relevel confirmation ${confirm} is stale: ${now}; the pinned level is unchanged` });
      }
    }
    if (pinned && !store && stored.guestType !== guest)
      return notReady("GuestTypeChanged", `the level was pinned for ${stored.guestType} guests and spec.guestType is ${guest}; relevel with cpuidctl pool relevel`, undefined, { clearConfirm, events });
    if (!pinned) {
      if (selected.length === 0) return noMembers({ clearConfirm, events });
      const fresh = levelHosts(selected, guest);
      if (!fresh.level) return cannotLevel(fresh.errors, { clearConfirm });
      pinned = fresh.level;
      store = toStoredLevel(pinned, guest);
      events.push({ type: "Normal", reason: "LevelPinned", action: "Level", note: `level ${pinned.hash} pinned from ${pinned.hosts.join(", ")}` });
    }
    level = pinned;
  }
  if (changedFrom) events.push({ type: "Normal", reason: "LevelChanged", action: "Level", note: `level changed from ${changedFrom} to ${level.hash} (hosts ${level.hosts.join(", ")})` });

  const { members, refused } = admit(level, selected, guest);
  const wasRefused = new Set((previous?.incompatibleHosts ?? []).map((r) => r.host));
  for (const r of refused) {
    if (!wasRefused.has(r.host)) events.push({ type: "Warning", reason: "HostIncompatible", action: "Admit", note: `host ${refusalText(r)} of the pinned level, so it is not admitted` });
  }
  set(
    refused.length
      ? { type: "HostIncompatible", status: "True", reason: "MissingFeatures", message: refused.map(refusalText).join("; ") }
      : { type: "HostIncompatible", status: "False", reason: "AllHostsCompatible", message: "every selected host can run the level" },
  );
  set(
    members.length
      ? { type: "Ready", status: "True", reason: "Levelled", message: `${members.length} member${members.length === 1 ? "" : "s"}, level ${level.hash}` }
      : { type: "Ready", status: "False", reason: "NoMembers", message: `none of the ${selected.length} selected hosts can run the pinned level` },
  );
  const status = levelStatus(level);
  return done(
    {
      members,
      memberCount: members.length,
      level: status,
      featureCount: status.features.length,
      limitingHosts: level.removed.map((r) => ({ host: r.host, removes: r.features })),
      incompatibleHosts: refused,
    },
    { ...(store ? { store } : {}), clearConfirm, levelChanged: changedFrom !== undefined },
  );
}
