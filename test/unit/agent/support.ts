// Shared by the agent unit tests: a host's guest max policies from a real
// `xen-cpuid -p` fixture, and well-formed set requests built from them.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseXenCpuidPolicy, type XenPolicyName } from "../../../shared/formats/xen-cpuid-policy.ts";
import { auditPolicy } from "../../../shared/audit/audit.ts";
import { findingToJson } from "../../../shared/audit/finding.ts";
import { policyHash } from "../../../shared/policy/canonical.ts";
import { copyPolicy, type CpuPolicy } from "../../../shared/policy/cpu-policy.ts";
import { serialisePolicy } from "../../../shared/policy/serialise.ts";
import { policyToJson } from "../../../shared/policy/policy-json.ts";
import type { GuestType } from "../../../shared/schemas/guest.ts";
import type { Backend, PolicyRecord } from "../../../agent/backends/backend.ts";
import type { HandlerContext } from "../../../agent/handlers.ts";
import { xenCpuidFixture } from "../../../devenv/fixtures.ts";

export const HOST = "node-a";

const blocks = parseXenCpuidPolicy(xenCpuidFixture("xen-cpuid-p_core-i5-12600k_alderlake.txt")).blocks;

export function fixturePolicy(name: XenPolicyName): CpuPolicy {
  const b = blocks.find((x) => x.name === name);
  if (!b) throw new Error(`fixture has no ${name} policy`);
  return copyPolicy(b.policy);
}

export function record(p: CpuPolicy): PolicyRecord {
  return { hash: policyHash(p), policy: policyToJson(serialisePolicy(p)) };
}

export const defaultPolicy = (g: GuestType) => record(fixturePolicy(g === "hvm" ? "hvm_default" : "pv_default"));

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "cpuid-agent-test-"));
}

export function context(backend: Backend): HandlerContext {
  return {
    hostId: HOST,
    backend,
    guestMax: (g) => {
      const p = fixturePolicy(g === "hvm" ? "hvm_max" : "pv_max");
      return { policy: p, hash: policyHash(p) };
    },
    audit: (req, max, guest) => auditPolicy(req, max, { guest }).map(findingToJson),
  };
}

let seq = 0;

export function setRequest(domain: string, p: CpuPolicy, overrides: Record<string, unknown> = {}): Uint8Array {
  const body = {
    hostId: HOST,
    domain,
    guestType: "hvm",
    policy: policyToJson(serialisePolicy(p)),
    policyHash: policyHash(p),
    requestId: `req-${++seq}`,
    generation: 1,
    ...overrides,
  };
  return new TextEncoder().encode(JSON.stringify(body));
}

export const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
