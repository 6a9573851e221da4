// Policy engine benchmarks: strict audit (clean and with findings), pool
// levelling of 10,000 hosts, derivation from a parsed dump (Bergamo, and
// the slowest of all fixture dumps), parsing the largest dump. Warm-up, then
// the median of many samples, one core.
//   node_modules/.bin/node bench/policy.ts

import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { auditPolicy } from "../shared/audit/audit.ts";
import { deriveFromCpuidDump } from "../shared/derive/from-dump.ts";
import type { DerivedPolicies } from "../shared/derive/derive.ts";
import { parseCpuidDump } from "../shared/formats/cpuid-dump.ts";
import { levelPolicies } from "../shared/level/level.ts";
import { policyHash } from "../shared/policy/canonical.ts";
import { copyPolicy, type CpuPolicy } from "../shared/policy/cpu-policy.ts";
import { buildRequestedPolicy } from "../shared/request/build-request.ts";
import { INTEL_PROFILES } from "./support/intel-profiles.ts";
import { median } from "./support/median.ts";

const DUMPS = join(import.meta.dirname, "..", "..", "shared", "fixtures", "cpuid-dumps");
const readDump = (path: string) => readFileSync(join(DUMPS, path), "utf8");
const derive = (path: string): DerivedPolicies => deriveFromCpuidDump(parseCpuidDump(readDump(path), path));

interface Row {
  what: string;
  wall: string;
  cpu: string;
  goal: string;
  met: string;
}
const rows: Row[] = [];
const rate = (sec: number) => `${Math.round(1 / sec).toLocaleString("en-US")} /s`;
const ms = (sec: number) => `${(sec * 1e3).toFixed(3)} ms`;
/** Goal met on CPU time (the one-core cost), independent of other load. */
function perSecond(what: string, t: { wall: number; cpu: number }, goal?: number) {
  rows.push({ what, wall: rate(t.wall), cpu: rate(t.cpu), goal: goal ? `>= ${goal.toLocaleString("en-US")} /s` : "-", met: goal ? (1 / t.cpu >= goal ? "yes" : "NO") : "-" });
}
function millis(what: string, t: { wall: number; cpu: number }, goal?: number) {
  rows.push({ what, wall: ms(t.wall), cpu: ms(t.cpu), goal: goal ? `<= ${goal} ms` : "-", met: goal ? (t.cpu * 1e3 <= goal ? "yes" : "NO") : "-" });
}

// Audit: Sapphire Rapids HVM default (a full modern policy) against its HVM max.
const spr = derive("intel/sapphirerapids-xeon-w7-2475x.txt");
if (auditPolicy(spr.hvm_default, spr.hvm_max).length !== 0) throw new Error("benchmark policy is expected to audit clean");
perSecond("audit, clean full policy vs max (SPR HVM)", median(() => auditPolicy(spr.hvm_default, spr.hvm_max, { guest: "hvm" }), 100_000, 21), 1_000_000);
const messy = buildRequestedPolicy(spr, "hvm", { kind: "features", baseline: "max", enable: ["amx-tile", "lwp"], disable: ["xsave", "arch-caps"] });
const nFindings = auditPolicy(messy, spr.hvm_max, { guest: "hvm" }).length;
perSecond(`audit, ${nFindings} findings (SPR HVM)`, median(() => auditPolicy(messy, spr.hvm_max, { guest: "hvm" }), 2_000, 21));

// Levelling: 10,000 hosts drawn from the Intel dumps, each its own policy
// object; first keyed by the policy hash each agent publishes (levelled once
// per distinct CPU), then unkeyed (every host read and levelled on its own).
const intel = INTEL_PROFILES.map((p) => derive(p).hvm_max);
const hostOf = (p: CpuPolicy, i: number) => {
  const policy = copyPolicy(p);
  return { host: `host-${i}`, policy, key: policyHash(policy) };
};
const fleet = Array.from({ length: 10_000 }, (_, i) => hostOf(intel[i % intel.length], i));
if (levelPolicies(fleet, { guest: "hvm" }).errors.length) throw new Error("benchmark fleet is expected to level");
millis("level 10,000 host policies (HVM max, keyed)", median(() => levelPolicies(fleet, { guest: "hvm" }), 5, 41), 2);
const modern = Array.from({ length: 10_000 }, (_, i) => hostOf(intel[[0, 3, 6][i % 3]], i));
millis("level 10,000 hosts, 3 modern models (keyed)", median(() => levelPolicies(modern, { guest: "hvm" }), 5, 41), 2);
const unkeyed = fleet.map(({ host, policy }) => ({ host, policy }));
millis("level 10,000 host policies (HVM max, unkeyed)", median(() => levelPolicies(unkeyed, { guest: "hvm" }), 1, 15), 50);

// Derivation and parsing: the largest dump (Bergamo, ~1.7 MB, 256 logical CPUs).
const bergamoText = readDump("amd/bergamo-epyc-9754.txt");
const bergamo = parseCpuidDump(bergamoText, "bergamo");
millis("derive all policies from a parsed dump (Bergamo)", median(() => deriveFromCpuidDump(bergamo), 200, 21), 2);
// Every fixture dump: the slowest derivation against the same goal.
const slowest = readdirSync(DUMPS, { recursive: true, encoding: "utf8" })
  .filter((f) => f.endsWith(".txt"))
  .map((f) => {
    const dump = parseCpuidDump(readDump(f), f);
    return { f, t: median(() => deriveFromCpuidDump(dump), 20, 11) };
  })
  .reduce((a, b) => (b.t.cpu > a.t.cpu ? b : a));
millis(`derive from each fixture dump, slowest (${slowest.f})`, slowest.t, 2);
millis("parse the largest dump (Bergamo, 1.7 MB)", median(() => parseCpuidDump(bergamoText, "bergamo"), 1, 11));

const w = Math.max(...rows.map((r) => r.what.length));
console.log(`${"benchmark".padEnd(w)}  ${"median wall".padStart(16)}  ${"median CPU".padStart(16)}  ${"goal".padEnd(16)}  met (CPU)`);
for (const r of rows) console.log(`${r.what.padEnd(w)}  ${r.wall.padStart(16)}  ${r.cpu.padStart(16)}  ${r.goal.padEnd(16)}  ${r.met}`);
console.log(`node ${process.version}, ${new Date().toISOString()}, load average ${loadavg().map((x) => x.toFixed(1)).join(" ")}`);
