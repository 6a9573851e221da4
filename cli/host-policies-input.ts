// Published HostPolicies JSON (as `cpuidctl hosts get -o json` prints it) as
// an input file of `policy level`, which loads this module (and the zod
// schemas) only when it is given such a file.

import { UsageError } from "./command.ts";
import type { GuestType } from "../shared/featureset/masks.ts";
import { decodeHostPolicies } from "../shared/hosts/host-record.ts";
import { hostLevelMember } from "../shared/level/host-member.ts";
import type { LevelMember } from "../shared/level/level.ts";
import { HostPolicies } from "../shared/schemas/host-policies.ts";

function parseHostPoliciesFile(text: string, file: string): HostPolicies {
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

export function publishedHostMember(text: string, file: string, guest: GuestType): LevelMember {
  return hostLevelMember(decodeHostPolicies(parseHostPoliciesFile(text, file)), guest);
}
