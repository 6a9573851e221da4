// Builds judge.c against Debian's Xen 4.17 headers and libraries and runs it
// on xl.cfg files: real libxlutil reads each file, real libxl parses each
// cpuid= item and prints the per-leaf masks it built.

import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { copyFeatureset, type Featureset } from "../../../shared/featureset/featureset.ts";
import { WORDS } from "../../../shared/featureset/words.ts";
import { xenTools } from "../xen-tools.ts";

export interface JudgedItem {
  rc: number;
  text: string;
}

/** libxl_cpuid_policy_list_gen_json: registers as 32 chars, MSRs as 64, most significant bit first. */
export interface LibxlPolicyJson {
  cpuid: Array<{ leaf: number; subleaf?: number; eax?: string; ebx?: string; ecx?: string; edx?: string }>;
  msr?: Array<{ index: number; policy: string }>;
}

export interface Judgement {
  file: string;
  form?: "libxl" | "xend";
  items: JudgedItem[];
  policy?: LibxlPolicyJson;
  error?: string;
}

let built: Promise<{ judge: string; env: NodeJS.ProcessEnv }> | undefined;

function build() {
  built ??= xenTools().then((t) => {
    const judge = join(mkdtempSync(join(tmpdir(), "libxl-judge-")), "judge");
    execFileSync(
      "gcc",
      ["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-O1", `-I${t.includeDir}`, "-o", judge, join(import.meta.dirname, "judge.c"), `-L${t.libDir}`, "-lxenlight", "-lxlutil", "-lyajl", `-Wl,-rpath-link,${t.libDir}`],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    return { judge, env: t.env };
  });
  return built;
}

/** Writes each setting as `cpuid = <setting>` in its own xl.cfg and judges them all in one run. */
export async function judgeCpuidSettings(settings: readonly string[]): Promise<Judgement[]> {
  const { judge, env } = await build();
  const dir = mkdtempSync(join(tmpdir(), "libxl-judge-cfg-"));
  const files = settings.map((s, i) => {
    const file = join(dir, `${i}.cfg`);
    writeFileSync(file, `cpuid = ${s}\n`);
    return file;
  });
  const out = execFileSync(judge, files, { env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
  const judgements: Judgement[] = [];
  for (const line of out.split("\n")) {
    const [tag] = line.split(" ", 1);
    const rest = line.slice(tag.length + 1);
    const current = judgements.at(-1);
    if (tag === "file") judgements.push({ file: rest, items: [] });
    else if (tag === "form") current!.form = rest as "libxl" | "xend";
    else if (tag === "item") {
      const sp = rest.indexOf(" ");
      current!.items.push({ rc: Number(rest.slice(0, sp)), text: rest.slice(sp + 1) });
    } else if (tag === "policy") current!.policy = JSON.parse(rest) as LibxlPolicyJson;
    else if (tag === "error") current!.error = rest;
  }
  return judgements;
}

const bitChar = (s: string | undefined, bit: number, width: number) => (s === undefined ? "x" : s[width - 1 - bit]);

/** libxl's masks applied to `def`: 1/0 force, x keeps the default. Any other character, or one outside a featureset word, fails. */
export function applyLibxlMasks(policy: LibxlPolicyJson, def: Featureset): Featureset {
  const fs = copyFeatureset(def);
  const used = new Set<string>();
  for (const w of WORDS) {
    for (let bit = 0; bit < 32; bit++) {
      let c: string;
      const s = w.source;
      if (s.kind === "cpuid") {
        const i = policy.cpuid.findIndex((e) => e.leaf === s.leaf && (e.subleaf ?? null) === s.subleaf);
        c = i < 0 ? "x" : bitChar(policy.cpuid[i][s.register], bit, 32);
        if (c !== "x") used.add(`cpuid ${i} ${s.register} ${bit}`);
      } else {
        const i = (policy.msr ?? []).findIndex((e) => e.index === s.index);
        const msrBit = s.half === "lo" ? bit : bit + 32;
        c = i < 0 ? "x" : bitChar(policy.msr![i].policy, msrBit, 64);
        if (c !== "x") used.add(`msr ${i} ${msrBit}`);
      }
      if (c === "x") continue;
      if (c !== "0" && c !== "1") throw new Error(`word ${w.index} bit ${bit}: libxl mask "${c}"`);
      fs[w.index] = c === "1" ? (fs[w.index] | (1 << bit)) >>> 0 : (fs[w.index] & ~(1 << bit)) >>> 0;
    }
  }
  const setChars = [
    ...policy.cpuid.flatMap((e) => (["eax", "ebx", "ecx", "edx"] as const).map((r) => [...(e[r] ?? "")].filter((c) => c !== "x").length)),
    ...(policy.msr ?? []).map((m) => [...m.policy].filter((c) => c !== "x").length),
  ].reduce((a, b) => a + b, 0);
  if (setChars !== used.size) throw new Error(`libxl set ${setChars - used.size} bit(s) outside the featureset words: ${JSON.stringify(policy)}`);
  return fs;
}
