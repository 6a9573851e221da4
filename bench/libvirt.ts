// Levelling N hosts with cpuidctl and with libvirt, side by side, as
// processes: `cpuidctl policy level --guest hvm` over one `xen-cpuid -p` file
// per host (Raw and Host policy, what Xen's tool prints), and libvirt's
// `virsh -c test:///default cpu-baseline --features` over the same hosts as
// libvirt host CPUs (each host's hardware CPUID in libvirt's model and feature
// names, through libvirt's own CPU map). Hosts are the real Intel CPU
// profiles in turn. Also the in-process levelling time of the same N hosts,
// and whether the two levels agree (shared/libvirt/agreement.ts).
//   node_modules/.bin/node bench/libvirt.ts [--sizes 100,1000,10000]

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { installedLibvirtCpuMap, libvirtUnavailable, virshBaselineArgs, virshVersion } from "../devenv/libvirt.ts";
import { REPO_ROOT, SHARED_DIR } from "../devenv/repo-root.ts";
import type { DerivedPolicies } from "../shared/derive/derive.ts";
import { deriveFromCpuidDump } from "../shared/derive/from-dump.ts";
import { parseFeatureset, featuresetEquals } from "../shared/featureset/featureset.ts";
import { parseCpuidDump } from "../shared/formats/cpuid-dump.ts";
import { formatXenCpuidPolicyBlock } from "../shared/formats/xen-cpuid-policy-text.ts";
import { levelPolicies, type LevelMember } from "../shared/level/level.ts";
import { compareWithLibvirt, type Difference } from "../shared/libvirt/agreement.ts";
import { parseLibvirtBaseline, type LibvirtBaseline } from "../shared/libvirt/baseline-output.ts";
import { pairFeatureNames } from "../shared/libvirt/feature-names.ts";
import { hostCpuOfFeatures, hostCpuXml, libvirtHostCpu } from "../shared/libvirt/host-cpu.ts";
import { policyHash } from "../shared/policy/canonical.ts";
import { copyPolicy } from "../shared/policy/cpu-policy.ts";
import { policyFeatureset } from "../shared/policy/featureset-io.ts";
import { INTEL_PROFILES } from "./support/intel-profiles.ts";
import { median, middle } from "./support/median.ts";

/** virsh reads at most 10 MiB of XML from a file (VSH_MAX_XML_FILE); larger fleets go in chunks, their baselines levelled again. */
const VIRSH_MAX_FILE = 10 * 1024 * 1024;
const CPUIDCTL = join(REPO_ROOT, "bin", "cpuidctl");

const { values } = parseArgs({ options: { sizes: { type: "string", default: "100,1000,10000" } } });
const sizes = values.sizes.split(",").map(Number);

const unavailable = libvirtUnavailable();
if (unavailable) {
  console.log(`skipped: ${unavailable}`);
  process.exit(0);
}
const map = installedLibvirtCpuMap();
const pairs = pairFeatureNames(map.features);

interface Profile {
  name: string;
  derived: DerivedPolicies;
  xenCpuid: string;
  libvirtCpu: string;
}
const profiles: Profile[] = INTEL_PROFILES.map((path) => {
  const derived = deriveFromCpuidDump(parseCpuidDump(readFileSync(join(SHARED_DIR, "fixtures", "cpuid-dumps", path), "utf8"), path));
  return {
    name: path.replace(/^.*\/|\.txt$/g, ""),
    derived,
    xenCpuid: formatXenCpuidPolicyBlock("Raw", derived.raw) + formatXenCpuidPolicyBlock("Host", derived.host),
    libvirtCpu: hostCpuXml(libvirtHostCpu(derived.raw, map)),
  };
});
const profileOf = (i: number) => profiles[i % profiles.length];

/** Clock ticks of CPU time of this process's reaped children (/proc/self/stat cutime + cstime). */
function childCpuSeconds(): number {
  const fields = readFileSync("/proc/self/stat", "utf8").replace(/^.*\) /, "").split(" ");
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

interface ProcessRun {
  wall: number;
  cpu: number;
  stdout: string;
}
function runProcess(command: string, args: string[], cwd: string): ProcessRun {
  const c0 = childCpuSeconds();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(command, args, { cwd, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${command} ${args.slice(0, 4).join(" ")}… exited ${r.status}: ${r.stderr.slice(0, 400)}`);
  return { wall, cpu: childCpuSeconds() - c0, stdout: r.stdout };
}

/** Lines grouped into files of at most VIRSH_MAX_FILE bytes. */
function chunks(lines: readonly string[]): string[] {
  const out: string[] = [];
  let current = "";
  for (const line of lines) {
    if (current.length + line.length + 1 > VIRSH_MAX_FILE) {
      out.push(current);
      current = "";
    }
    current += `${line}\n`;
  }
  return [...out, current];
}

/** libvirt's baseline of the lines' CPUs: one virsh process per chunk, and one more over the chunks' baselines. */
function libvirtLevel(lines: readonly string[], dir: string): { baseline: LibvirtBaseline; wall: number; cpu: number; processes: number } {
  let wall = 0;
  let cpu = 0;
  const baselineOf = (text: string, file: string): LibvirtBaseline => {
    writeFileSync(join(dir, file), text);
    const r = runProcess("virsh", virshBaselineArgs(file, true), dir);
    wall += r.wall;
    cpu += r.cpu;
    return parseLibvirtBaseline(r.stdout, `virsh cpu-baseline ${file}`);
  };
  const parts = chunks(lines);
  if (parts.length === 1) return { baseline: baselineOf(parts[0], "libvirt.xml"), wall, cpu, processes: 1 };
  const partial = parts.map((text, i) => baselineOf(text, `libvirt-${i}.xml`));
  const again = partial.map((b) => hostCpuXml(hostCpuOfFeatures(b.vendor ?? "", b.required, map))).join("\n");
  return { baseline: baselineOf(`${again}\n`, "libvirt-merge.xml"), wall, cpu, processes: parts.length + 1 };
}

const explain = (ds: Difference[]) => ds.map((d) => `${d.feature}${d.reason ? `: ${d.reason}` : ": UNEXPLAINED"}`);
const s = (sec: number) => `${sec.toFixed(2)} s`;
const ms = (sec: number) => `${(sec * 1e3).toFixed(2)} ms`;

console.log(`virsh ${virshVersion()} (test driver), libvirt CPU map: ${map.features.length} features (${pairs.toLibvirt.size} paired with ours), ${map.models.length} models`);
for (const p of profiles) console.log(`  ${p.name}: ${p.libvirtCpu.length} bytes as libvirt host CPU (${p.libvirtCpu.match(/<model>([^<]*)/)?.[1]})`);

const rows: string[][] = [];
const agreements: string[] = [];
for (const n of sizes) {
  const dir = mkdtempSync(join(tmpdir(), `libvirt-bench-${n}-`));
  try {
    const files = Array.from({ length: n }, (_, i) => `h${String(i).padStart(5, "0")}.txt`);
    files.forEach((f, i) => writeFileSync(join(dir, f), profileOf(i).xenCpuid));
    const lines = files.map((_, i) => profileOf(i).libvirtCpu);
    const repeats = n >= 10_000 ? 3 : 5;
    const ours: ProcessRun[] = [];
    const theirs: ReturnType<typeof libvirtLevel>[] = [];
    for (let r = 0; r < repeats; r++) {
      ours.push(runProcess(CPUIDCTL, ["policy", "level", "--guest", "hvm", "-o", "json", ...files], dir));
      theirs.push(libvirtLevel(lines, dir));
    }
    const cliLevel = (JSON.parse(ours[0].stdout) as { policy: { featureset: string } }).policy.featureset;

    const members: LevelMember[] = files.map((host, i) => ({ host, policy: copyPolicy(profileOf(i).derived.hvm_max) }));
    const level = levelPolicies(members, { guest: "hvm" });
    if (!level.policy) throw new Error(`in-process level failed: ${level.errors.join("; ")}`);
    const levelFs = policyFeatureset(level.policy);
    if (!featuresetEquals(levelFs, parseFeatureset(cliLevel))) throw new Error("cpuidctl's level differs from the in-process level");
    const unkeyed = median(() => levelPolicies(members, { guest: "hvm" }), 1, n >= 10_000 ? 21 : 41);
    const keyedMembers = members.map((m) => ({ ...m, key: policyHash(m.policy) }));
    const keyed = median(() => levelPolicies(keyedMembers, { guest: "hvm" }), 5, 41);

    const oursWall = middle(ours.map((r) => r.wall));
    const oursCpu = middle(ours.map((r) => r.cpu));
    const lvWall = middle(theirs.map((r) => r.wall));
    const lvCpu = middle(theirs.map((r) => r.cpu));
    rows.push([
      n.toLocaleString("en-US"),
      s(oursWall),
      s(oursCpu),
      `${s(lvWall)}${theirs[0].processes > 1 ? ` (${theirs[0].processes} virsh)` : ""}`,
      s(lvCpu),
      `${(lvWall / oursWall).toFixed(2)}x`,
      `${(lvCpu / oursCpu).toFixed(2)}x`,
      ms(unkeyed.cpu),
      ms(keyed.cpu),
    ]);

    const distinct = profiles.slice(0, Math.min(n, profiles.length));
    const hosts = distinct.map((p) => ({ host: p.name, hardware: policyFeatureset(p.derived.raw), guestMax: policyFeatureset(p.derived.hvm_max) }));
    const a = compareWithLibvirt(levelFs, theirs[0].baseline, pairs, hosts);
    agreements.push(
      [
        `N=${n.toLocaleString("en-US")}: ${a.agrees ? "agree" : "DISAGREE"} — ${a.compared} of our level's features libvirt can name; libvirt model ${theirs[0].baseline.model}`,
        `  ours, not libvirt's (${a.onlyOurs.length}):`,
        ...explain(a.onlyOurs).map((l) => `    ${l}`),
        `  libvirt's, not ours (${a.onlyLibvirt.length}):`,
        ...explain(a.onlyLibvirt).map((l) => `    ${l}`),
      ].join("\n"),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const head = ["hosts", "cpuidctl wall", "cpuidctl CPU", "libvirt wall", "libvirt CPU", "ratio wall", "ratio CPU", "in-process unkeyed", "in-process keyed"];
console.log(`\n${head.join(" | ")}`);
for (const r of rows) console.log(r.join(" | "));
console.log(`\n${agreements.join("\n")}`);
console.log(`node ${process.version}, ${new Date().toISOString()}, load average ${loadavg().map((x) => x.toFixed(1)).join(" ")}`);
