// Builds judge.c against Debian's Xen 4.17 headers and libraries and runs it
// on xl.cfg files: real libxlutil reads each file, real libxl parses each
// cpuid= item and prints the per-leaf masks it built.

import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
