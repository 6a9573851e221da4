// Fuzzing every parser and decoder that takes outside input: N cases each
// (default 100,000; --cases N, --seed S, --only <substring>), mostly mutated
// real inputs plus random text, bytes and JSON. A case is accepted, rejected
// with the entry point's own error, or a crash: any other exception, or one
// case taking over a second. Exits 1 on a crash, printing the shrunk input.
// The parsers are synchronous, so a hang is seen once the case returns.

import fc from "fast-check";
import { parseArgs } from "node:util";
import { fuzzTargets, type FuzzTarget } from "./support/fuzz-targets.ts";

const HANG_MS = 1000;

const { values } = parseArgs({ options: { cases: { type: "string", default: "100000" }, seed: { type: "string", default: "20261206" }, only: { type: "string" } } });
const cases = Number(values.cases);
const seed = Number(values.seed);

interface Counts {
  cases: number;
  accepted: number;
  rejected: number;
  crashes: number;
  slowestMs: number;
}

function fuzz(target: FuzzTarget): { counts: Counts; failure?: string } {
  const counts: Counts = { cases: 0, accepted: 0, rejected: 0, crashes: 0, slowestMs: 0 };
  let shrinking = false;
  const details = fc.check(
    fc.property(target.input, (input) => {
      const start = performance.now();
      let outcome;
      try {
        outcome = target.run(input);
      } catch (e) {
        if (!shrinking) {
          counts.cases++;
          counts.crashes++;
        }
        shrinking = true;
        throw e;
      }
      const ms = performance.now() - start;
      if (!shrinking) {
        counts.cases++;
        counts[outcome]++;
        counts.slowestMs = Math.max(counts.slowestMs, ms);
      }
      if (ms > HANG_MS) {
        if (!shrinking) counts.crashes++;
        shrinking = true;
        throw new Error(`one case took ${Math.round(ms)} ms (over ${HANG_MS} ms)`);
      }
    }),
    { seed, numRuns: cases },
  );
  if (!details.failed) return { counts };
  const error = details.errorInstance instanceof Error ? (details.errorInstance.stack ?? details.errorInstance.message) : String(details.errorInstance);
  return {
    counts,
    failure: `seed ${details.seed}, path ${details.counterexamplePath}, shrunk ${details.numShrinks} times\ninput: ${fc.stringify(details.counterexample)}\n${error}`,
  };
}

const targets = (await fuzzTargets()).filter((t) => !values.only || t.name.includes(values.only));
console.log(`fuzz: ${cases} cases per entry point, seed ${seed}`);
console.log("entry point                     cases   accepted   rejected  crashes   slowest ms   time s");
let crashed = 0;
for (const target of targets) {
  const start = performance.now();
  const { counts, failure } = fuzz(target);
  const s = (performance.now() - start) / 1000;
  const c = counts;
  console.log(
    `${target.name.padEnd(28)} ${String(c.cases).padStart(8)} ${String(c.accepted).padStart(10)} ${String(c.rejected).padStart(10)} ${String(c.crashes).padStart(8)} ${c.slowestMs.toFixed(1).padStart(12)} ${s.toFixed(1).padStart(8)}`,
  );
  if (failure) {
    crashed++;
    console.log(`  CRASH in ${target.name}: ${failure}`);
  }
}
process.exit(crashed ? 1 : 0);
