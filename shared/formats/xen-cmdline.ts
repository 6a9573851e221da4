// Xen's `cpuid=` (and `dom0-cpuid=`) boot option value: a comma-separated
// list of `name`, `no-name` or `name=<bool>` (Xen's parse_cpuid with
// parse_boolean). Names are matched exactly against NAME_TO_VAL: lowercase,
// "-" separated, case-sensitive. Xen logs a bad item and carries on; here a
// bad item is an error naming its column, so a typo never goes unnoticed.

import { featureByName, type Feature } from "../featureset/features.ts";
import { FormatError } from "./format-error.ts";

export interface XenCmdlineItem {
  name: string;
  feature: Feature;
  /** false for `no-name` and `name=<false>` */
  enable: boolean;
}

const TRUE_WORDS = new Set(["1", "on", "yes", "true", "enable"]);
const FALSE_WORDS = new Set(["0", "no", "off", "false", "disable"]);

/** Xen's parse_bool: 1 / 0, or undefined when the word is not a boolean. */
function parseBool(word: string): boolean | undefined {
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return undefined;
}

export function parseXenCpuidCmdline(value: string, source = "cpuid="): XenCmdlineItem[] {
  const items: XenCmdlineItem[] = [];
  let column = 1;
  for (const item of value.split(",")) {
    items.push(parseItem(item, column, source));
    column += item.length + 1;
  }
  return items;
}

function parseItem(item: string, column: number, source: string): XenCmdlineItem {
  const fail = (offset: number, message: string) => new FormatError(source, 1, column + offset, message);
  if (item === "") throw fail(0, "empty item (expected name, no-name or name=<bool>)");
  const negated = item.startsWith("no-");
  const body = negated ? item.slice(3) : item;
  const eq = body.indexOf("=");
  const name = eq < 0 ? body : body.slice(0, eq);
  const nameAt = negated ? 3 : 0;
  const feature = featureByName(name);
  if (!feature) throw fail(nameAt, `unknown feature name "${name}" (names are lowercase with "-", e.g. "lahf-lm")`);
  if (eq < 0) return { name, feature, enable: !negated };
  if (negated) throw fail(0, `"no-${name}=…" is invalid: use either no-${name} or ${name}=<bool>`);
  const word = body.slice(eq + 1);
  const enable = parseBool(word);
  if (enable === undefined) {
    throw fail(nameAt + eq + 1, `"${word}" is not a boolean (1/0, on/off, yes/no, true/false, enable/disable)`);
  }
  return { name, feature, enable };
}
