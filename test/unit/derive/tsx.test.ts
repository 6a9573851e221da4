// Xen's TSX decision (tsx_init and the TAA heuristic), one case per row: the
// CPU's TSX enumeration and `tsx=`, and what Xen then does.

import { describe, expect, it } from "vitest";
import { tsxDecision, type TsxDecision } from "../../../shared/derive/tsx.ts";
import { featuresetFromNames } from "../../../shared/featureset/featureset.ts";

const NOTHING: TsxDecision = { forceHleRtm: false, forceRtmAlwaysAbort: false, firmwareBug: false, rtmDisabled: false };

const ROWS: Array<[rule: string, features: string, tsx: boolean | undefined, decision: Partial<TsxDecision>]> = [
  ["no TSX controls", "rtm hle", undefined, {}],
  ["no TSX controls: tsx=0 cannot disable RTM", "rtm hle", false, {}],
  ["TSX_CTRL, no TAA: TSX stays on", "tsx-ctrl", undefined, { forceHleRtm: true }],
  ["TSX_CTRL with TAA (MDS_NO, no TAA_NO): TSX off", "tsx-ctrl mds-no", undefined, { forceHleRtm: true, rtmDisabled: true }],
  ["TSX_CTRL with TAA, tsx=1", "tsx-ctrl mds-no", true, { forceHleRtm: true }],
  ["TSX_CTRL with TAA_NO", "tsx-ctrl mds-no taa-no", undefined, { forceHleRtm: true }],
  ["TSX_CTRL, tsx=0", "tsx-ctrl", false, { forceHleRtm: true, rtmDisabled: true }],
  ["TSX_CTRL, tsx=1", "tsx-ctrl", true, { forceHleRtm: true }],
  ["RTM with MDS_NO but no TSX_CTRL: nothing to switch", "rtm mds-no", undefined, {}],
  [
    "SRBDS_CTRL and RTM_ALWAYS_ABORT with TSX_CTRL: TSX off",
    "tsx-ctrl srbds-ctrl rtm-always-abort",
    undefined,
    { forceHleRtm: true, forceRtmAlwaysAbort: true, rtmDisabled: true },
  ],
  [
    "the same with tsx=1",
    "tsx-ctrl srbds-ctrl rtm-always-abort",
    true,
    { forceHleRtm: true, forceRtmAlwaysAbort: true },
  ],
  ["RTM_ALWAYS_ABORT and TSX_CTRL without SRBDS_CTRL", "tsx-ctrl rtm-always-abort", undefined, { forceHleRtm: true, forceRtmAlwaysAbort: true }],
  ["RTM_ALWAYS_ABORT alone", "rtm-always-abort", undefined, { forceRtmAlwaysAbort: true }],
  ["SRBDS_CTRL and RTM_ALWAYS_ABORT without TSX_CTRL", "srbds-ctrl rtm-always-abort", undefined, { forceRtmAlwaysAbort: true }],
  ["firmware bug: TSX_FORCE_ABORT and RTM_ALWAYS_ABORT without RTM", "tsx-force-abort rtm-always-abort", undefined, { firmwareBug: true }],
  ["TSX_FORCE_ABORT alone: TSX kept", "tsx-force-abort", undefined, { forceHleRtm: true }],
  ["TSX_FORCE_ABORT with RTM: TSX kept", "tsx-force-abort rtm", undefined, { forceHleRtm: true }],
  ["TSX_FORCE_ABORT with RTM, tsx=0", "tsx-force-abort rtm", false, { forceHleRtm: true, rtmDisabled: true }],
  [
    "TSX_FORCE_ABORT with RTM and RTM_ALWAYS_ABORT: TSX off",
    "tsx-force-abort rtm rtm-always-abort",
    undefined,
    { forceHleRtm: true, forceRtmAlwaysAbort: true, rtmDisabled: true },
  ],
  [
    "the same with tsx=1",
    "tsx-force-abort rtm rtm-always-abort",
    true,
    { forceHleRtm: true, forceRtmAlwaysAbort: true },
  ],
];

describe("tsxDecision", () => {
  it.each(ROWS)("%s", (_rule, features, tsx, decision) => {
    expect(tsxDecision(featuresetFromNames(features.split(" ")), tsx)).toEqual({ ...NOTHING, ...decision });
  });
});
