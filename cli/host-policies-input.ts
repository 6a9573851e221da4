// Published HostPolicies JSON (as `cpuidctl hosts get -o json` prints it) as
// an input file: told apart from dumps and xen-cpuid output by its leading "{".

import { UsageError } from "./command.ts";
import { HostPolicies } from "../shared/schemas/host-policies.ts";

export const looksLikeJson = (text: string) => text.trimStart().startsWith("{");

export function parseHostPoliciesFile(text: string, file: string): HostPolicies {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
  const parsed = HostPolicies.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue.path.length ? issue.path.map(String).join(".") : "(top level)";
    throw new UsageError(`${file}: not a published HostPolicies (as \`cpuidctl hosts get -o json\` prints): ${at}: ${issue.message}`);
  }
  return parsed.data;
}
