// decidePool on real CPUs (the demo's profiles): membership, the pinned level
// kept against stronger and weaker hosts, relevel confirmation, Automatic
// pools, and the bad inputs (no members, mixed vendors, stale confirmation).

import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { CpuidPoolObject } from "../../../shared/api/v1alpha1/cpuid-pool.ts";
import { decodeHostPolicies } from "../../../shared/hosts/host-record.ts";
import { LEVEL_ANNOTATION, RELEVEL_CONFIRM_ANNOTATION, type StoredLevel } from "../../../shared/pool/level-annotation.ts";
import { levelHosts, selectHosts, type SelectedHost } from "../../../shared/pool/pool-members.ts";
import { REPO_ROOT } from "../../../devenv/repo-root.ts";
import { decidePool } from "../../../controller/pool/pool-status.ts";
import { hostPoliciesFrom } from "./host-fixture.ts";

const NOW = new Date("2026-12-06T04:00:00Z");
const hosts: Record<string, SelectedHost> = {};

beforeAll(async () => {
  for (const name of ["haswell", "icelake", "sapphirerapids", "rome"]) {
    const record = decodeHostPolicies(await hostPoliciesFrom(`host-${name}`, join(REPO_ROOT, "examples", "profiles", `host-${name}.txt`)));
    hosts[name] = { host: `host-${name}`, max: record.guest.hvm_max };
  }
});

function pool(levelPolicy: "Pinned" | "Automatic", annotations: Record<string, string> = {}, status?: CpuidPoolObject["status"]): CpuidPoolObject {
  return {
    apiVersion: "cpuidfleet.io/v1alpha1",
    kind: "CpuidPool",
    metadata: { name: "p", generation: 1, annotations },
    spec: { hostSelector: {}, guestType: "hvm", levelPolicy },
    ...(status ? { status } : {}),
  };
}

const pinnedFrom = (d: ReturnType<typeof decidePool>) => ({ [LEVEL_ANNOTATION]: JSON.stringify(d.store) });
const cond = (d: ReturnType<typeof decidePool>, type: string) => d.status.conditions!.find((c) => c.type === type)!;

describe("decidePool", () => {
  it("selectHosts keeps matching hosts with a known guest max, sorted", () => {
    const picked = selectHosts(
      [
        { host: "b", labels: { v: "intel" }, max: hosts.haswell.max },
        { host: "a", labels: { v: "intel" }, max: hosts.icelake.max },
        { host: "c", labels: { v: "intel" }, max: undefined },
        { host: "d", labels: { v: "amd" }, max: hosts.rome.max },
      ],
      { matchLabels: { v: "intel" } },
    );
    expect(picked.map((h) => h.host)).toEqual(["a", "b"]);
  });

  it("a pinned pool pins the level of its first members, with the hosts that limit it", () => {
    const d = decidePool(pool("Pinned"), [hosts.haswell, hosts.sapphirerapids], NOW);
    const expected = levelHosts([hosts.haswell, hosts.sapphirerapids], "hvm").level!;
    expect(d.store?.hash).toBe(expected.hash);
    expect(d.status.members).toEqual(["host-haswell", "host-sapphirerapids"]);
    expect(d.status.level?.hash).toBe(expected.hash);
    expect(d.status.limitingHosts?.find((l) => l.host === "host-haswell")?.removes).toContain("avx512f");
    expect(cond(d, "Ready")).toMatchObject({ status: "True", reason: "Levelled" });
    expect(d.events.map((e) => e.reason)).toEqual(["LevelPinned"]);
  });

  it("a stronger host joining a pinned pool does not raise its level", () => {
    const first = decidePool(pool("Pinned"), [hosts.icelake], NOW);
    const d = decidePool(pool("Pinned", pinnedFrom(first), first.status), [hosts.icelake, hosts.sapphirerapids], NOW);
    expect(d.store).toBeUndefined();
    expect(d.status.level?.hash).toBe(first.status.level?.hash);
    expect(levelHosts([hosts.sapphirerapids], "hvm").level!.policy).not.toEqual(levelHosts([hosts.icelake], "hvm").level!.policy);
    expect(d.status.featureCount).toBe(first.status.featureCount);
    expect(d.status.members).toEqual(["host-icelake", "host-sapphirerapids"]);
  });

  it("a weaker host is refused with every missing feature, once as a Warning event", () => {
    const first = decidePool(pool("Pinned"), [hosts.sapphirerapids], NOW);
    const d = decidePool(pool("Pinned", pinnedFrom(first), first.status), [hosts.haswell, hosts.sapphirerapids], NOW);
    expect(d.status.members).toEqual(["host-sapphirerapids"]);
    const refused = d.status.incompatibleHosts!;
    expect(refused.map((r) => r.host)).toEqual(["host-haswell"]);
    expect(refused[0].missing).toEqual(expect.arrayContaining(["avx512f", "avx512bw", expect.stringMatching(/^physical address width 52 bits .* exceeds the max policy's 46/)]));
    expect(cond(d, "HostIncompatible")).toMatchObject({ status: "True", reason: "MissingFeatures" });
    expect(cond(d, "HostIncompatible").message).toMatch(/^host-haswell lacks .*avx512f/);
    expect(d.events).toEqual([expect.objectContaining({ type: "Warning", reason: "HostIncompatible" })]);
    const again = decidePool(pool("Pinned", pinnedFrom(first), d.status), [hosts.haswell, hosts.sapphirerapids], NOW);
    expect(again.events).toEqual([]);
  });

  it("a relevel with the hash the hosts give now replaces the pin; a stale one changes nothing", () => {
    const first = decidePool(pool("Pinned"), [hosts.sapphirerapids], NOW);
    const both = [hosts.haswell, hosts.sapphirerapids];
    const lower = levelHosts(both, "hvm").level!;
    const stale = decidePool(pool("Pinned", { ...pinnedFrom(first), [RELEVEL_CONFIRM_ANNOTATION]: first.store!.hash }, first.status), both, NOW);
    expect(stale.store).toBeUndefined();
    expect(stale.clearConfirm).toBe(true);
    expect(stale.status.level?.hash).toBe(first.store!.hash);
    expect(stale.events[0]).toMatchObject({ type: "Warning", reason: "RelevelRefused" });
    expect(stale.events[0].note).toContain(lower.hash);
    const ok = decidePool(pool("Pinned", { ...pinnedFrom(first), [RELEVEL_CONFIRM_ANNOTATION]: lower.hash }, first.status), both, NOW);
    expect((ok.store as StoredLevel).hash).toBe(lower.hash);
    expect(ok.levelChanged).toBe(true);
    expect(ok.status.members).toEqual(["host-haswell", "host-sapphirerapids"]);
    expect(ok.events.map((e) => e.reason)).toEqual(["LevelChanged"]);
  });

  it("an Automatic pool follows membership, stores each new level, with an event when it changes", () => {
    const first = decidePool(pool("Automatic"), [hosts.sapphirerapids], NOW);
    expect(first.store?.hash).toBe(first.status.level?.hash);
    expect(first.events).toEqual([]);
    const again = decidePool(pool("Automatic", pinnedFrom(first), first.status), [hosts.sapphirerapids], NOW);
    expect(again.store).toBeUndefined();
    const d = decidePool(pool("Automatic", pinnedFrom(first), first.status), [hosts.haswell, hosts.sapphirerapids], NOW);
    expect(d.status.level?.hash).not.toBe(first.status.level?.hash);
    expect(d.store?.hash).toBe(d.status.level?.hash);
    expect(d.levelChanged).toBe(true);
    expect(d.events).toEqual([expect.objectContaining({ type: "Normal", reason: "LevelChanged" })]);
  });

  it("the stored level groups hosts that remove the same features: a thousand hosts of a few kinds stay far below the 256 KiB annotation limit, and read back as they were", () => {
    const many: SelectedHost[] = [];
    for (let i = 0; i < 1000; i++) {
      const kind = [hosts.haswell, hosts.icelake, hosts.sapphirerapids][i % 3];
      many.push({ host: `h-${String(i).padStart(4, "0")}`, max: kind.max });
    }
    const d = decidePool(pool("Pinned"), many, NOW);
    const text = pinnedFrom(d)[LEVEL_ANNOTATION];
    expect(text.length).toBeLessThan(64 * 1024);
    expect(d.store!.removed.length).toBeLessThanOrEqual(3);
    const again = decidePool(pool("Pinned", pinnedFrom(d), d.status), many, NOW);
    expect(again.store).toBeUndefined();
    expect(again.status).toEqual(d.status);
  });

  it("a pinned level with invariant TSC admits a host only at the members' TSC frequency or, for HVM, with TSC scaling", () => {
    const at = (h: SelectedHost, host: string, khz: number, scaling = false): SelectedHost => ({ ...h, host, tsc: { khz, scaling } });
    const first = decidePool(pool("Pinned"), [at(hosts.sapphirerapids, "spr-1", 2_000_000)], NOW);
    expect(first.status.level?.features).toContain("itsc");
    expect(first.store?.tscKhz).toEqual([2_000_000]);
    const joined = [at(hosts.sapphirerapids, "spr-1", 2_000_000), at(hosts.sapphirerapids, "spr-2", 2_000_000), at(hosts.sapphirerapids, "spr-slow", 1_800_000), at(hosts.sapphirerapids, "spr-scaling", 1_800_000, true)];
    const d = decidePool(pool("Pinned", pinnedFrom(first), first.status), joined, NOW);
    expect(d.status.members).toEqual(["spr-1", "spr-2", "spr-scaling"]);
    expect(d.status.incompatibleHosts).toEqual([{ host: "spr-slow", missing: [expect.stringMatching(/guest runs at 2000000 kHz and this host at 1800000 kHz \(more than 250 ppm apart\) without TSC scaling/)] }]);
    expect(cond(d, "HostIncompatible")).toMatchObject({ status: "True" });
    // an Automatic pool drops itsc instead and keeps every host
    const auto = decidePool(pool("Automatic"), joined, NOW);
    expect(auto.status.level?.features).not.toContain("itsc");
    expect(auto.status.members).toHaveLength(4);
  });

  it("a pinned level with invariant TSC admits a host within 250 ppm of its frequency, and one whose frequency is unknown", () => {
    const at = (host: string, khz?: number): SelectedHost => ({ ...hosts.sapphirerapids, host, ...(khz === undefined ? {} : { tsc: { khz } }) });
    const first = decidePool(pool("Pinned"), [at("spr-1", 2_000_000)], NOW);
    expect(first.status.level?.features).toContain("itsc");
    const joined = [at("spr-1", 2_000_000), at("spr-200ppm", 2_000_400), at("spr-300ppm", 1_999_400), at("spr-unknown")];
    const d = decidePool(pool("Pinned", pinnedFrom(first), first.status), joined, NOW);
    expect(d.status.members).toEqual(["spr-1", "spr-200ppm", "spr-unknown"]);
    expect(d.status.incompatibleHosts?.map((r) => r.host)).toEqual(["spr-300ppm"]);
    expect(d.status.level?.hash).toBe(first.status.level?.hash);
  });

  it("no selected host: Ready=False NoMembers, nothing pinned", () => {
    const d = decidePool(pool("Pinned"), [], NOW);
    expect(cond(d, "Ready")).toMatchObject({ status: "False", reason: "NoMembers" });
    expect(d.store).toBeUndefined();
    expect(d.status.level).toBeUndefined();
  });

  it("hosts of different vendors are never levelled together; the condition names them", () => {
    const d = decidePool(pool("Pinned"), [hosts.haswell, hosts.rome], NOW);
    expect(d.store).toBeUndefined();
    expect(cond(d, "Ready")).toMatchObject({ status: "False", reason: "CannotLevel" });
    expect(cond(d, "HostIncompatible").message).toMatch(/different vendors.*host-haswell.*host-rome/);
  });

  it("a pinned Intel level refuses an AMD host joining later", () => {
    const first = decidePool(pool("Pinned"), [hosts.haswell], NOW);
    const d = decidePool(pool("Pinned", pinnedFrom(first), first.status), [hosts.haswell, hosts.rome], NOW);
    expect(d.status.members).toEqual(["host-haswell"]);
    expect(d.status.incompatibleHosts!.map((r) => r.host)).toEqual(["host-rome"]);
  });

  it("a damaged level annotation of a pinned pool is reported, never silently recomputed", () => {
    const d = decidePool(pool("Pinned", { [LEVEL_ANNOTATION]: "{not json" }), [hosts.haswell], NOW);
    expect(d.store).toBeUndefined();
    expect(cond(d, "Ready")).toMatchObject({ status: "False", reason: "PinnedLevelInvalid" });
    expect(cond(d, "Ready").message).toContain(LEVEL_ANNOTATION);
  });

  it("a pinned pool whose spec.guestType changed is not Ready until relevelled", () => {
    const first = decidePool(pool("Pinned"), [hosts.icelake], NOW);
    const pv = { ...pool("Pinned", pinnedFrom(first), first.status), spec: { hostSelector: {}, guestType: "pv" as const } };
    const d = decidePool(pv, [hosts.icelake], NOW);
    expect(d.store).toBeUndefined();
    expect(cond(d, "Ready")).toMatchObject({ status: "False", reason: "GuestTypeChanged" });
  });
});
