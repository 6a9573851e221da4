// The decisions of a DomainCpuidPolicy reconcile, apart from its reads and
// calls: what an invalid spec reads as, what
// travels with the domain, conflicts, where else the policy could run, what
// goes to the agent and what its failure means, whether to write the status
// and when to come back.

import { describe, expect, it } from "vitest";
import {
  acceptance,
  agentFailure,
  agentHolds,
  changedInFlight,
  ownedByAnother,
  poolOf,
  requeueOf,
  setRequest,
  specIssues,
  statusChanged,
  travelOf,
  withRollouts,
} from "../../../controller/domain-policy/reconcile-decisions.ts";
import { DomainCpuidPolicySpec, type DomainCpuidPolicyStatus } from "../../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import { requestDigest } from "../../../shared/domain-policy/effective-policy.ts";
import type { PoolBaseline } from "../../../shared/domain-policy/pool-baseline.ts";
import { emptyPolicy } from "../../../shared/policy/cpu-policy.ts";
import { policyToJson } from "../../../shared/policy/policy-json.ts";
import { serialisePolicy } from "../../../shared/policy/serialise.ts";
import { SetPolicyRequest, type DomainInfo } from "../../../shared/schemas/agent-messages.ts";

const spec = (over: Record<string, unknown> = {}) => DomainCpuidPolicySpec.parse({ host: "h1", domain: "vm1", guestType: "hvm", ...over });
const wire = (p = emptyPolicy()) => policyToJson(serialisePolicy(p));

describe("specIssues", () => {
  it("names each issue's field under spec, in order", () => {
    const parsed = DomainCpuidPolicySpec.safeParse({ host: "h1", domain: "vm1", guestType: "hvm", baseline: "pool", enable: ["avx"], disable: ["avx"] });
    expect(parsed.success).toBe(false);
    expect(specIssues(parsed.error!.issues)).toBe(
      "spec.enable: features both enabled and disabled: avx; spec.pool: spec.pool is required when spec.baseline is pool",
    );
  });

  it("joins a nested path with dots", () => {
    expect(specIssues([{ path: ["enable", 3], message: "too long" }])).toBe("spec.enable.3: too long");
  });

  it("reads as nothing without issues", () => {
    expect(specIssues([])).toBe("");
  });
});

describe("poolOf", () => {
  it("is spec.pool for a pool baseline only", () => {
    expect(poolOf(spec({ baseline: "pool", pool: "web" }))).toBe("web");
    expect(poolOf({ ...spec(), pool: "web" })).toBeUndefined();
    expect(poolOf(spec())).toBeUndefined();
  });
});

describe("travelOf", () => {
  it("records the host and the request's digest for a policy built on the host", () => {
    const s = spec({ enable: ["avx512f"] });
    const travel = travelOf(s, { kind: "build" }, () => {
      throw new Error("a built policy is not carried");
    });
    expect(travel).toStrictEqual({ host: "h1", requestDigest: requestDigest(s) });
  });

  it("adds the carried policy, its hash and the host it came from after a move", () => {
    const policy = emptyPolicy();
    const seen: unknown[] = [];
    const travel = travelOf(spec({ host: "h2" }), { kind: "carry", policy, hash: "sha256:c", from: "h1" }, (p) => {
      seen.push(p);
      return wire(p);
    });
    expect(seen).toEqual([policy]);
    expect(travel).toStrictEqual({ host: "h2", requestDigest: requestDigest(spec()), carried: { policyHash: "sha256:c", policy: wire(), from: "h1" } });
  });
});

describe("ownedByAnother", () => {
  it("is true only when another object governs the domain", () => {
    expect(ownedByAnother(undefined, "ns/a")).toBe(false);
    expect(ownedByAnother("ns/a", "ns/a")).toBe(false);
    expect(ownedByAnother("ns/b", "ns/a")).toBe(true);
  });
});

describe("acceptance", () => {
  const twelve = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"];
  const level = (members: string[]): PoolBaseline => ({ kind: "level", pool: "web", guestType: "hvm", level: emptyPolicy(), hash: "sha256:lvl", members });

  it("counts every accepting host, lists the first ten and tells the others from the policy's own", () => {
    for (const [i, host] of twelve.entries()) {
      expect(acceptance(twelve, host, undefined), `${host} at ${i}`).toStrictEqual({ hosts: { count: 12, hosts: twelve.slice(0, 10) }, others: 11 });
    }
    for (const host of ["0", "bb", "z"]) expect(acceptance(twelve, host, undefined).others, host).toBe(12);
    expect(acceptance([], "h1", undefined)).toStrictEqual({ hosts: { count: 0, hosts: [] }, others: 0 });
    expect(acceptance(["h1"], "h1", undefined).others).toBe(0);
  });

  it("leaves the pool out while the pool has no level", () => {
    const unavailable: PoolBaseline = { kind: "unavailable", pool: "web", reason: "PoolNotReady", message: "no level yet" };
    expect(acceptance(["a"], "a", unavailable)).toStrictEqual({ hosts: { count: 1, hosts: ["a"] }, others: 0 });
  });

  it("sorts the pool's members into those that accept the policy and those that refuse it", () => {
    const r = acceptance(["b", "d", "f"], "b", level(["a", "b", "c", "d", "e", "f", "g"]));
    expect(r.pool).toStrictEqual({ pool: "web", levelHash: "sha256:lvl", members: 7, count: 3, hosts: ["b", "d", "f"], refusing: ["a", "c", "e", "g"] });
  });

  it("lists at most ten accepting and ten refusing members but counts them all", () => {
    const refusing = twelve.map((m) => `z${m}`);
    const r = acceptance(twelve, "a", level([...twelve, ...refusing]));
    expect(r.pool).toStrictEqual({ pool: "web", levelHash: "sha256:lvl", members: 24, count: 12, hosts: twelve.slice(0, 10), refusing: refusing.slice(0, 10) });
  });
});

describe("agentHolds", () => {
  const info = (over: Partial<DomainInfo>): DomainInfo => ({ domain: "vm1", state: "running", ...over });

  it("is true when the policy is active or staged on the domain", () => {
    expect(agentHolds(info({ activeHash: "sha256:p1" }), "sha256:p1")).toBe(true);
    expect(agentHolds(info({ activeHash: "sha256:p0", stagedHash: "sha256:p1" }), "sha256:p1")).toBe(true);
  });

  it("is false when the agent holds another policy or none", () => {
    expect(agentHolds(info({ activeHash: "sha256:p0", stagedHash: "sha256:p2" }), "sha256:p1")).toBe(false);
    expect(agentHolds(info({}), "sha256:p1")).toBe(false);
  });
});

describe("setRequest", () => {
  const hash = "sha256:0123456789abcdef0123456789ab";

  it("carries the spec's target, the policy and an id made of the object's uid, generation and hash", () => {
    const r = setRequest({ name: "p", namespace: "ns", uid: "u-1", generation: 3 }, spec({ guestType: "pv" }), 3, hash, wire());
    expect(r).toStrictEqual({
      hostId: "h1",
      domain: "vm1",
      guestType: "pv",
      policy: wire(),
      policyHash: hash,
      requestId: "u-1/3/0123456789ab",
      generation: 3,
      resourceUid: "u-1",
    });
    expect(SetPolicyRequest.safeParse(r).success).toBe(true);
  });

  it("names no resource uid when the object has none", () => {
    const r = setRequest({ name: "p" }, spec(), 0, hash, wire());
    expect(r).not.toHaveProperty("resourceUid");
    expect(r.requestId).toBe("undefined/0/0123456789ab");
  });
});

describe("changedInFlight", () => {
  const sent = { name: "p", uid: "u-1", generation: 2 };

  it("is false when the object is the same generation of the same object", () => {
    expect(changedInFlight(sent, { name: "p", uid: "u-1", generation: 2, resourceVersion: "9" })).toBe(false);
  });

  it("is true when the object was deleted, recreated or changed meanwhile", () => {
    expect(changedInFlight(sent, undefined)).toBe(true);
    expect(changedInFlight(sent, { ...sent, uid: "u-2" })).toBe(true);
    expect(changedInFlight(sent, { ...sent, generation: 3 })).toBe(true);
  });

  it("is true when an object that had no uid is gone", () => {
    expect(changedInFlight({ name: "p", generation: 2 }, undefined)).toBe(true);
  });
});

describe("agentFailure", () => {
  it("holds an unanswered request against the host only when the host is blamed", () => {
    const unanswered = { kind: "unavailable" as const, message: "no responders" };
    expect(agentFailure(unanswered, true)).toStrictEqual(unanswered);
    expect(agentFailure(unanswered, false)).toStrictEqual({ kind: "transport", message: "no responders" });
  });

  it("passes an agent's error through whatever the connection did", () => {
    const error = { kind: "error" as const, code: "xen-error", message: "boom" };
    expect(agentFailure(error, false)).toStrictEqual(error);
    expect(agentFailure(error, true)).toStrictEqual(error);
  });
});

describe("withRollouts", () => {
  const decided: DomainCpuidPolicyStatus = { observedGeneration: 1, policyHash: "sha256:p1", rollouts: ["old"] };
  const layers = [
    { rollout: "ns/r1", enable: ["avx512f"], disable: [] },
    { rollout: "ns/r2", enable: [], disable: ["tsx"] },
  ];

  it("names the rollouts whose layers the request carries, in order", () => {
    expect(withRollouts(decided, layers, "audited")).toStrictEqual({ observedGeneration: 1, policyHash: "sha256:p1", rollouts: ["ns/r1", "ns/r2"] });
  });

  it("names none for an invalid spec or without layers", () => {
    expect(withRollouts(decided, layers, "invalid-policy")).toStrictEqual({ observedGeneration: 1, policyHash: "sha256:p1" });
    expect(withRollouts(decided, [], "audited")).toStrictEqual({ observedGeneration: 1, policyHash: "sha256:p1" });
  });
});

describe("statusChanged", () => {
  it("compares deeply, an absent status being an empty one", () => {
    expect(statusChanged({ observedGeneration: 1 }, { observedGeneration: 1 })).toBe(false);
    expect(statusChanged({ observedGeneration: 2 }, { observedGeneration: 1 })).toBe(true);
    expect(statusChanged({}, undefined)).toBe(false);
    expect(statusChanged({ observedGeneration: 1 }, undefined)).toBe(true);
  });
});

describe("requeueOf", () => {
  it("backs off while the host has not taken the policy, even a staged one", () => {
    expect(requeueOf({ retry: true, status: { activation: "Staged" } }, 60_000)).toStrictEqual({ requeue: "backoff" });
  });

  it("comes back after the refresh period while the policy is staged", () => {
    expect(requeueOf({ retry: false, status: { activation: "Staged" } }, 60_000)).toStrictEqual({ requeueAfterMs: 60_000 });
  });

  it("does not come back for an active or pending policy", () => {
    expect(requeueOf({ retry: false, status: { activation: "Active" } }, 60_000)).toBeUndefined();
    expect(requeueOf({ retry: false, status: {} }, 60_000)).toBeUndefined();
  });
});
