// Reading the cpuid-hosts bucket for `cpuidctl hosts get|list` and `audit`:
// the bucket is opened once per command (runtime/nats/hosts-bucket.ts), each
// entry decoded as HostPolicies.

import type { KV } from "@nats-io/kv";
import { decodeJson } from "../shared/schemas/decode-json.ts";
import { HostPolicies } from "../shared/schemas/host-policies.ts";

export type HostEntry = { created: Date } & ({ ok: true; policies: HostPolicies } | { ok: false; error: string });

/** The entry under `key` (a hostKey), decoded; undefined if the host has published nothing (or was deleted). */
export async function readHostEntry(kv: KV, key: string): Promise<HostEntry | undefined> {
  const e = await kv.get(key);
  if (!e || e.operation !== "PUT") return undefined;
  const parsed = decodeJson(HostPolicies, e.value);
  return parsed.success
    ? { created: e.created, ok: true, policies: parsed.data }
    : { created: e.created, ok: false, error: parsed.error.issues[0].message };
}
