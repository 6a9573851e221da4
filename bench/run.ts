// npm run bench: runs every benchmark script in bench/ in turn (each prints
// its own table). Results are collated by hand into BENCHMARKS.md with the
// machine and the date. Pass names to run a subset: npm run bench -- policy;
// other arguments go to each script run
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const dir = import.meta.dirname;
const all = readdirSync(dir)
  .filter((f) => f.endsWith(".ts") && f !== "run.ts")
  .map((f) => f.slice(0, -3))
  .sort();
// arguments that name no script are passed on to each (npm run bench -- fuzz --cases 1000)
const wanted = process.argv.slice(2).filter((a) => all.includes(a));
const passed = process.argv.slice(2).filter((a) => !all.includes(a));
const scripts = all.filter((n) => wanted.length === 0 || wanted.includes(n));

let failed = 0;
for (const name of scripts) {
  console.log(`\n=== bench/${name}.ts`);
  const r = spawnSync(process.execPath, [join(dir, `${name}.ts`), ...passed], { stdio: "inherit" });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
