// Every parser and decoder that takes outside input, with the input it is
// fuzzed with and the errors that are its own (a clear rejection); anything
// else it throws is a crash. Used by bench/fuzz.ts and the CI fuzz tests.

import fc from "fast-check";
import { join } from "node:path";
import { stringify as toYaml } from "yaml";
import type { z } from "zod";
import { buildHostPolicies } from "../../agent/host-policies.ts";
import { FileProbe } from "../../agent/probes/file.ts";
import { UsageError } from "../../cli/command.ts";
import { parseRequestText } from "../../cli/request-file.ts";
import { bootCpu, cpuidQuery, parseCpuidDump } from "../../shared/formats/cpuid-dump.ts";
import { detectPolicyInput } from "../../shared/formats/detect.ts";
import { FormatError } from "../../shared/formats/format-error.ts";
import { parseLibxlCpuid } from "../../shared/formats/libxl-cpuid.ts";
import { parseXenCpuidCmdline } from "../../shared/formats/xen-cmdline.ts";
import { parseXenCpuidFeaturesets } from "../../shared/formats/xen-cpuid-featuresets.ts";
import { parseXenCpuidPolicy } from "../../shared/formats/xen-cpuid-policy.ts";
import { decodeHostPolicies } from "../../shared/hosts/host-record.ts";
import { PolicyFormatError, deserialisePolicy, serialisePolicy } from "../../shared/policy/serialise.ts";
import {
  DomainEvent,
  ErrorReply,
  GetDomainReply,
  GetDomainRequest,
  ListDomainsReply,
  ListDomainsRequest,
  SetPolicyReply,
  SetPolicyRequest,
} from "../../shared/schemas/agent-messages.ts";
import { decodeJson } from "../../shared/schemas/decode-json.ts";
import { HostPolicies, Heartbeat } from "../../shared/schemas/host-policies.ts";
import { SerialisedPolicyJson } from "../../shared/schemas/policy.ts";
import { policyFromJson, policyToJson } from "../../shared/policy/policy-json.ts";
import { FIXTURES_DIR } from "../../devenv/fixtures.ts";
import {
  libxlCpuidStrings,
  messageBytes,
  mutated,
  mutatedJson,
  pastedXenCpuidPolicies,
  smallDumps,
  textInput,
  xenCmdlines,
  xenCpuidFeaturesets,
  xenCpuidPolicies,
} from "./fuzz-inputs.ts";

export type Outcome = "accepted" | "rejected";

export interface FuzzTarget<T = unknown> {
  name: string;
  input: fc.Arbitrary<T>;
  /** "rejected" when the entry point refused the input with its own error; throws on anything else */
  run(input: T): Outcome;
}

/** Runs `parse`, counting a throw of one of `own` as a rejection and rethrowing anything else. */
function rejectingWith(own: Array<abstract new (...args: never[]) => Error>, parse: () => unknown): Outcome {
  try {
    parse();
    return "accepted";
  } catch (e) {
    if (own.some((type) => e instanceof type)) return "rejected";
    throw e;
  }
}

function textTarget(name: string, parse: (text: string) => unknown, texts: string[]): FuzzTarget<string> {
  return { name, input: textInput(texts), run: (text) => rejectingWith([FormatError], () => parse(text)) };
}

/** A NATS message or bucket entry: bytes → JSON → schema, then what the receiver does with a valid one. */
function messageTarget<S extends z.ZodType>(name: string, schema: S, seeds: unknown[], use: (m: z.output<S>) => void = () => {}): FuzzTarget<Uint8Array> {
  return {
    name,
    input: messageBytes(seeds),
    run: (bytes) => {
      const decoded = decodeJson(schema, bytes);
      if (!decoded.success) return "rejected";
      return rejectingWith([PolicyFormatError], () => use(decoded.data));
    },
  };
}

/** A dump parsed and its boot CPU queried, as the file probe uses it. */
export function dumpThenQuery(text: string): void {
  const dump = parseCpuidDump(text);
  const q = cpuidQuery(bootCpu(dump));
  q(0, 0);
  q(7, 1);
}

const deserialiseJson = (p: z.output<typeof SerialisedPolicyJson>) => deserialisePolicy(policyFromJson(p));

/** A request document as `cpuidctl` reads it (YAML, JSON being YAML), then a full policy's records. */
function readRequestDocument(text: string): Outcome {
  return rejectingWith([UsageError, PolicyFormatError], () => {
    const r = parseRequestText(text, "request.yaml");
    if (r.kind === "policy") deserialisePolicy(r.policy);
  });
}

export async function fuzzTargets(): Promise<FuzzTarget[]> {
  const dumps = smallDumps();
  const policies = xenCpuidPolicies();
  const featuresets = xenCpuidFeaturesets();
  const hostPolicies = buildHostPolicies(
    "fuzz-host",
    await new FileProbe(join(FIXTURES_DIR, "cpuid-dumps", "intel", "haswell-ep-xeon-e5-2699v3.txt")).run(),
    new Date("2026-12-06T00:00:00Z"),
  );
  const policyJson = parseXenCpuidPolicy(policies[0]).blocks.map((b) => policyToJson(serialisePolicy(b.policy)));
  const requests = [
    { baseline: "max", enable: ["avx2", "rdrand"], disable: ["hle", "rtm"] },
    { enable: ["sse4.2"] },
    ...policyJson.slice(0, 2),
  ];
  const at = "2026-12-06T00:00:00Z";
  const domain = { domain: "web-1", state: "running", guestType: "hvm", activeHash: "a1", lastRequestId: "r1", generation: 3, resourceUid: "u1" };
  const setRequest = { hostId: "h1", domain: "web-1", guestType: "hvm", policy: policyJson[3], policyHash: "abc", requestId: "r1", generation: 2, resourceUid: "u1" };
  const finding = { code: "feature-not-in-max", severity: "error", message: "avx512f is not in the host's max" };

  const targets: FuzzTarget[] = [
    textTarget("CPUID dump", dumpThenQuery, dumps),
    textTarget("xen-cpuid -p", parseXenCpuidPolicy, policies),
    textTarget("pasted xen-cpuid -p", parseXenCpuidPolicy, pastedXenCpuidPolicies()),
    textTarget("xen-cpuid detail", parseXenCpuidFeaturesets, featuresets),
    textTarget("libxl cpuid=", parseLibxlCpuid, libxlCpuidStrings()),
    textTarget("Xen cmdline cpuid=", parseXenCpuidCmdline, xenCmdlines()),
    textTarget("input detection", detectPolicyInput, [dumps[0], ...policies, ...featuresets]),
    messageTarget("NATS SetPolicyRequest", SetPolicyRequest, [setRequest], (m) => deserialiseJson(m.policy)),
    messageTarget("NATS SetPolicyReply", SetPolicyReply, [
      { ok: true, hostId: "h1", domain: "web-1", requestId: "r1", result: "applied", policyHash: "p", activeHash: "p", domainState: "running", maxHash: "m", findings: [finding], duplicate: false, message: "applied" },
    ]),
    messageTarget("NATS ErrorReply", ErrorReply, [{ ok: false, hostId: "h1", error: { code: "policy-invalid", message: "no", path: "policy.leaves.0" } }]),
    messageTarget("NATS DomainEvent", DomainEvent, [{ hostId: "h1", domain: "web-1", state: "paused", at }]),
    messageTarget("NATS GetDomainRequest", GetDomainRequest, [{ hostId: "h1", domain: "web-1" }]),
    messageTarget("NATS GetDomainReply", GetDomainReply, [{ ok: true, hostId: "h1", domain: { ...domain, activePolicy: policyJson[3] } }], (m) => {
      if (m.domain.activePolicy) deserialiseJson(m.domain.activePolicy);
    }),
    messageTarget("NATS ListDomainsRequest", ListDomainsRequest, [{ hostId: "h1" }]),
    messageTarget("NATS ListDomainsReply", ListDomainsReply, [{ ok: true, hostId: "h1", domains: [domain, { domain: "db", state: "absent" }] }]),
    messageTarget("NATS Heartbeat", Heartbeat, [{ hostId: "h1", digest: "d", at, domains: 2 }]),
    messageTarget("HostPolicies bucket entry", HostPolicies, [hostPolicies], decodeHostPolicies),
    messageTarget("serialised policy JSON", SerialisedPolicyJson, policyJson, deserialiseJson),
    {
      name: "request document (YAML/JSON)",
      input: fc.oneof(
        { arbitrary: mutated(requests.flatMap((r) => [JSON.stringify(r, null, 1), toYaml(r)])), weight: 3 },
        { arbitrary: mutatedJson(requests).map((d) => JSON.stringify(d) ?? ""), weight: 3 },
        { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((d) => toYaml(d)), weight: 1 },
        { arbitrary: fc.string({ maxLength: 200 }), weight: 1 },
      ),
      run: readRequestDocument,
    } satisfies FuzzTarget<string>,
  ];
  return targets;
}
