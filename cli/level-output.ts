// Levelling members and printing the result, for `policy level` (files) and
// `hosts level` (published hosts).

import { EXIT_FINDINGS, EXIT_OK } from "./command.ts";
import { stringifySharing } from "./json-sharing.ts";
import { featureNames, formatFeatureset } from "../shared/featureset/featureset.ts";
import type { GuestType } from "../shared/featureset/masks.ts";
import { levelPolicies, type LevelMember, type LevelResult } from "../shared/level/level.ts";
import { policyFeatureset } from "../shared/policy/featureset-io.ts";
import { policyView } from "../shared/policy/policy-view.ts";

function levelText(r: LevelResult, guest: string, hosts: string[]): string {
  const lines = [`pool level of ${hosts.length} host${hosts.length === 1 ? "" : "s"} for ${guest} guests: ${hosts.join(", ")}`];
  if (r.policy) {
    const fs = policyFeatureset(r.policy);
    const names = featureNames(fs);
    lines.push(`  featureset ${formatFeatureset(fs)}`, `  ${names.length} features: ${names.join(" ")}`);
  }
  if (r.removed.length) {
    lines.push("removed relative to the union of the hosts:");
    for (const rm of r.removed) lines.push(`  ${rm.host} removes ${rm.features.length}: ${rm.features.join(" ")}`);
  }
  for (const e of r.errors) lines.push(`error: ${e}`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return `${lines.join("\n")}\n`;
}

/** Level, print as json or text, and return the exit status (1 when the hosts cannot be levelled). */
export function levelAndPrint(members: readonly LevelMember[], guest: GuestType, format: "json" | "text"): number {
  const hosts = members.map((m) => m.host);
  const r = levelPolicies(members, { guest });
  if (format === "json") {
    const result = {
      ok: r.errors.length === 0,
      guest,
      hosts,
      policy: r.policy ? policyView(r.policy) : null,
      removed: r.removed,
      errors: r.errors,
      warnings: r.warnings,
    };
    process.stdout.write(`${stringifySharing(result)}\n`);
  } else process.stdout.write(levelText(r, guest, hosts));
  return r.errors.length ? EXIT_FINDINGS : EXIT_OK;
}
