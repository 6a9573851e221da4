// cpuidctl policy explain <feature> [-o json|text]

import { EXIT_BAD_INPUT, EXIT_OK, UsageError, printJson, type Command } from "../command.ts";
import { jsonOrText, parseCommandArgs } from "../policy-args.ts";
import { explainFeature, UnknownFeatureError, type FeatureExplanation, type GuestKind } from "../../shared/explain/explain.ts";

const usage = `usage: cpuidctl policy explain <feature> [-o json|text]

Explain one feature: where it lives (featureset word/bit, CPUID leaf/subleaf/
register or MSR bit), what its annotation means, which guest types get it by
default or may opt in, what it needs and what needs it.

  <feature>      Xen's name, e.g. avx512f, lahf-lm, rsba (AVX512F and lahf_lm work too)
  -o json|text   output format (default text)`;

function availabilityText(e: FeatureExplanation): string {
  const kinds: GuestKind[] = ["pv", "hvm-shadow", "hvm-hap"];
  return kinds
    .map((k) => `${k}: ${e.guests[k].default ? "default" : e.guests[k].max ? "opt-in (max only)" : "never"}`)
    .join(", ");
}

const list = (names: string[]) => (names.length ? names.join(" ") : "nothing");

function explainText(e: FeatureExplanation): string {
  const lines = [
    `${e.name} (X86_FEATURE_${e.macro}, value ${e.value})`,
    `  position     featureset word ${e.word} (${e.wordAbbrev}) bit ${e.bit} = ${e.location}`,
    `  annotation   "${e.annotation}": ${e.meaning.join("; ")}`,
    `  guests       by annotation: ${availabilityText(e)}`,
    `  needs        ${list(e.requires.direct)}${e.requires.deep.length > e.requires.direct.length ? ` (transitively: ${e.requires.deep.join(" ")})` : ""}`,
    `  needed by    ${list(e.requiredBy.direct)}${e.requiredBy.deep.length > e.requiredBy.direct.length ? ` (transitively: ${e.requiredBy.deep.join(" ")})` : ""}`,
  ];
  if (e.accumulate) lines.push("  levelling    OR-ed across a pool (kept if any host has it)");
  for (const r of e.xenRules) lines.push(`  xen          ${r}`);
  return `${lines.join("\n")}\n`;
}

const command: Command = {
  summary: "explain a feature: position, annotation, guest types, dependencies",
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, { output: { type: "string", short: "o" } }, usage);
    if (positionals.length !== 1) throw new UsageError(`expected one feature name\n\n${usage}`);
    const format = jsonOrText(values.output);
    let e: FeatureExplanation;
    try {
      e = explainFeature(positionals[0]);
    } catch (err) {
      if (!(err instanceof UnknownFeatureError)) throw err;
      if (format === "json") printJson({ error: err.message, suggestions: err.suggestions });
      else console.error(`cpuidctl: ${err.message}`);
      return EXIT_BAD_INPUT;
    }
    if (format === "json") printJson(e);
    else process.stdout.write(explainText(e));
    return EXIT_OK;
  },
};

export default command;
