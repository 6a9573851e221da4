// The fault runs' verdict from the hosts' own records (bench/chaos/host-records.ts),
// on hand-made records: a policy installed once, a deleted policy's domain
// reset to the host default, and each way that can go wrong.

import { describe, expect, it } from "vitest";
import type { DomainRecord } from "../../../agent/backends/backend.ts";
import type { Installation } from "../../../agent/backends/sim.ts";
import { type DeletedPolicy, type DesiredPolicy, type HostRecord, judge } from "../../../bench/chaos/host-records.ts";
import { policyRequestId, resetRequestId } from "../../../controller/domain-policy/request-id.ts";

const POLICY = "sha256:aaaaaaaaaaaa";
const DEFAULT = "sha256:dddddddddddd";
const OTHER = "sha256:ffffffffffff";
const policyRecord = (hash: string) => ({ hash, policy: { leaves: [], msrs: [] } });

const kept: DesiredPolicy = { name: "h1-vm-0", uid: "uid-kept", generation: 2, host: "h1", domain: "vm-0", hash: POLICY };
const gone: DeletedPolicy = { name: "h1-vm-1", uid: "uid-gone", host: "h1", domain: "vm-1", defaultHash: DEFAULT };

const install = (domain: string, uid: string, generation: number, hash: string, requestId = policyRequestId(uid, generation, hash)): Installation => ({ domain, hash, requestId, generation, resourceUid: uid });
const reset = (domain: string, uid: string, generation: number, hash: string) => install(domain, uid, generation, hash, resetRequestId(uid));
const domain = (name: string, uid: string, generation: number, active: string, staged?: string): DomainRecord => ({
  name,
  state: "paused",
  guestType: "hvm",
  active: policyRecord(active),
  ...(staged ? { staged: policyRecord(staged) } : {}),
  creationFinished: false,
  lastRequestId: "r",
  generation,
  resourceUid: uid,
});

/** vm-0 runs kept's generation 2; vm-1 ran gone's generation 1 and was reset to the host default. */
function host(overrides: Partial<HostRecord> = {}): Map<string, HostRecord> {
  return new Map([
    [
      "h1",
      {
        domains: [domain("vm-0", kept.uid, 2, POLICY), domain("vm-1", gone.uid, 1, DEFAULT)],
        installed: [install("vm-0", kept.uid, 1, OTHER), install("vm-0", kept.uid, 2, POLICY), install("vm-1", gone.uid, 1, OTHER), reset("vm-1", gone.uid, 1, DEFAULT)],
        ...overrides,
      },
    ],
  ]);
}

describe("judge, a generation that changes nothing", () => {
  it("a new generation whose policy is the one installed already is neither lost nor misapplied: the agent keeps the earlier generation's record", () => {
    const same = { ...kept, generation: 3 };
    expect(judge([same], host(), [gone])).toEqual({ lost: [], appliedTwice: [], misapplied: [], notAsDesired: [], installations: 4 });
  });

  it("a new generation with a new policy the domain never got is lost and not as desired", () => {
    const changed = { ...kept, generation: 3, hash: OTHER };
    const v = judge([changed], host(), [gone]);
    expect(v.lost).toEqual(["h1-vm-0 (h1/vm-0 generation 3)"]);
    expect(v.notAsDesired).toEqual([`h1/vm-0 (h1-vm-0) runs uid-kept's generation 2`]);
  });
});

describe("judge, with deleted policies", () => {
  it("a deleted policy's domain reset to the host default, which keeps the deleted resource's uid, is as desired", () => {
    expect(judge([kept], host(), [gone])).toEqual({ lost: [], appliedTwice: [], misapplied: [], notAsDesired: [], installations: 4 });
  });

  it("a reset staged for a running domain is as desired too", () => {
    const records = host({ domains: [domain("vm-0", kept.uid, 2, POLICY), { ...domain("vm-1", gone.uid, 1, OTHER, DEFAULT), state: "running", creationFinished: true }] });
    expect(judge([kept], records, [gone]).notAsDesired).toEqual([]);
  });

  it("a deleted policy's domain that still runs its policy is not as desired", () => {
    const records = host({ domains: [domain("vm-0", kept.uid, 2, POLICY), domain("vm-1", gone.uid, 1, OTHER)], installed: host().get("h1")!.installed.slice(0, 3) });
    expect(judge([kept], records, [gone]).notAsDesired).toEqual([`h1/vm-1 keeps deleted h1-vm-1's policy ${OTHER}, not the host default ${DEFAULT}`]);
  });

  it("without the deleted policy named, a domain carrying its uid is not as desired and its installations are misapplied", () => {
    const v = judge([kept], host());
    expect(v.notAsDesired).toEqual(["h1/vm-1 carries uid-gone, which does not name it"]);
    expect(v.misapplied).toHaveLength(2);
  });

  it("a reset installed twice is applied twice; the reset and the policy's own generation are not the same installation", () => {
    const twice = [...host().get("h1")!.installed, reset("vm-1", gone.uid, 1, DEFAULT)];
    expect(judge([kept], host({ installed: twice }), [gone]).appliedTwice).toEqual(["h1/vm-1 uid-gone 1 (reset) installed 2 times"]);
  });

  it("a reset that installed something else than the host default, or reset a policy that still exists, is misapplied", () => {
    const wrongHash = host({ installed: [...host().get("h1")!.installed.slice(0, 3), reset("vm-1", gone.uid, 1, OTHER)] });
    expect(judge([kept], wrongHash, [gone]).misapplied).toEqual([`h1/vm-1 got hash ${OTHER} as the reset of h1-vm-1, whose host default is ${DEFAULT}`]);
    const live = host({ installed: [...host().get("h1")!.installed, reset("vm-0", kept.uid, 2, DEFAULT)] });
    expect(judge([kept], live, [gone]).misapplied).toEqual(["h1/vm-0 got hash sha256:dddddddddddd as the reset of h1-vm-0, which still exists"]);
  });

  it("a reset does not count as the installation of a live policy's generation", () => {
    const records = host({ installed: [reset("vm-0", kept.uid, 2, POLICY), ...host().get("h1")!.installed.slice(2)] });
    expect(judge([kept], records, [gone]).lost).toEqual(["h1-vm-0 (h1/vm-0 generation 2)"]);
  });
});
