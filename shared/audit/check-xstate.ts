// xstate-inconsistent: leaf 0xd must be what Xen's recalculate_xstate() would
// make of the policy's own features — XCR0 exactly the states the features
// need, no XSS states, each component laid out as the max policy lays it out
// (where max describes it at all), and the uncompressed size matching the
// furthest component.

import { hasFeature } from "../featureset/featureset.ts";
import { basicMaxLeaf, type CpuPolicy } from "../policy/cpu-policy.ts";
import { describeFeature, hex, type Finding, type Position } from "./finding.ts";
import {
  ALL_GUEST_STATES,
  STATE_FEATURES,
  XSAVE,
  XSTATE_AREA_MIN_SIZE,
  XSTATE_FP_SSE,
  componentFlagsMask,
  expectedXcr0,
} from "./xstate-rules.ts";

const XSTATE_LEAF = 0xd;

export function xstateClean(req: CpuPolicy, max: CpuPolicy, reqWords: Uint32Array): boolean {
  const x0 = req.xstate[0];
  const x1 = req.xstate[1];
  if (!hasFeature(reqWords, XSAVE)) return (x0.eax | x0.ecx | x0.edx | x1.ecx | x1.edx) === 0;
  if (basicMaxLeaf(req) >>> 0 < XSTATE_LEAF) return false;
  const expected = expectedXcr0(reqWords);
  if (x0.eax >>> 0 !== expected || x0.edx !== 0 || x1.ecx !== 0 || x1.edx !== 0) return false;
  const flags = componentFlagsMask(reqWords);
  let size = XSTATE_AREA_MIN_SIZE;
  for (let states = expected & ~XSTATE_FP_SSE; states !== 0; states &= states - 1) {
    const i = 31 - Math.clz32(states & -states);
    const c = req.xstate[i];
    const m = max.xstate[i];
    if ((c.ecx & ~flags) !== 0) return false;
    if (m.eax !== 0 && (m.eax !== c.eax || m.ebx !== c.ebx)) return false;
    size = Math.max(size, (c.ebx >>> 0) + (c.eax >>> 0));
  }
  return x0.ecx >>> 0 === size;
}

const at = (subleaf: number, register: "eax" | "ecx"): Position => ({ leaf: XSTATE_LEAF, subleaf, register });

function stateNames(states: number): string {
  const names: string[] = [];
  for (let i = 0; i < 32; i++) if (states & (1 << i)) names.push(String(i));
  return `state${names.length === 1 ? "" : "s"} ${names.join(", ")}`;
}

export function xstateFindings(req: CpuPolicy, max: CpuPolicy, reqWords: Uint32Array, out: Finding[]): void {
  const x0 = req.xstate[0];
  const x1 = req.xstate[1];
  const push = (features: string[], where: Position, message: string) =>
    out.push({ code: "xstate-inconsistent", features, ...where, message });

  if (!hasFeature(reqWords, XSAVE)) {
    if ((x0.eax | x0.ecx | x0.edx | x1.ecx | x1.edx) !== 0) {
      push(["xsave"], at(0, "eax"), `${describeFeature(XSAVE)} is off, yet leaf 0xd still advertises xsave states (XCR0 ${hex(x0.edx)}:${hex(x0.eax)}, XSS ${hex(x1.edx)}:${hex(x1.ecx)}, size ${hex(x0.ecx)})`);
    }
    return;
  }
  if (basicMaxLeaf(req) >>> 0 < XSTATE_LEAF) {
    push(["xsave"], { leaf: 0, register: "eax" }, `${describeFeature(XSAVE)} is on but the basic max leaf ${hex(basicMaxLeaf(req))} is below 0xd, so leaf 0xd is invisible and Xen clears XSAVE`);
  }
  const expected = expectedXcr0(reqWords);
  const xcr0 = x0.eax >>> 0;
  if ((xcr0 & XSTATE_FP_SSE) !== XSTATE_FP_SSE) {
    push(["xsave"], at(0, "eax"), `XCR0 (leaf 0xd:0.eax ${hex(xcr0)}) lacks x87/SSE (states 0, 1), which every xsave-capable guest has`);
  }
  for (const s of STATE_FEATURES) {
    const on = hasFeature(reqWords, s.feature);
    const present = xcr0 & s.states;
    if (on && present !== s.states) {
      push([s.feature.name], at(0, "eax"), `${describeFeature(s.feature)} is on but XCR0 (leaf 0xd:0.eax ${hex(xcr0)}) lacks its state ${s.names}`);
    } else if (!on && present !== 0) {
      push([s.feature.name], at(0, "eax"), `XCR0 (leaf 0xd:0.eax ${hex(xcr0)}) advertises ${stateNames(present)} but ${describeFeature(s.feature)}, which owns it, is off`);
    }
  }
  const foreign = xcr0 & ~ALL_GUEST_STATES;
  if (foreign !== 0 || x0.edx !== 0) {
    const what = [...(foreign ? [stateNames(foreign)] : []), ...(x0.edx ? ["states above 31"] : [])].join(" and ");
    push([], at(0, "eax"), `XCR0 (leaf 0xd:0 edx:eax ${hex(x0.edx)}:${hex(xcr0)}) advertises ${what} that Xen never offers guests`);
  }
  if (x1.ecx !== 0 || x1.edx !== 0) {
    push(["xsaves"], at(1, "ecx"), `XSS (leaf 0xd:1 edx:ecx ${hex(x1.edx)}:${hex(x1.ecx)}) advertises supervisor states; Xen offers none to guests`);
  }
  const flags = componentFlagsMask(reqWords);
  let size = XSTATE_AREA_MIN_SIZE;
  for (let i = 2; i < 32; i++) {
    if (!(expected & (1 << i))) continue;
    const owner = STATE_FEATURES.find((s) => s.states & (1 << i))!.feature.name;
    const c = req.xstate[i];
    const m = max.xstate[i];
    if (m.eax !== 0 && (m.eax !== c.eax || m.ebx !== c.ebx)) {
      push([owner], at(i, "eax"), `leaf 0xd:${i} lays out state ${i} (needed by ${owner}) as size ${hex(c.eax)} at offset ${hex(c.ebx)}, the max policy as size ${hex(m.eax)} at ${hex(m.ebx)}`);
    }
    if ((c.ecx & ~flags) !== 0) {
      push([owner], at(i, "ecx"), `leaf 0xd:${i}.ecx ${hex(c.ecx)} shows flags beyond what xsavec/xsaves allow (${hex(flags)})`);
    }
    size = Math.max(size, (c.ebx >>> 0) + (c.eax >>> 0));
  }
  if (x0.ecx >>> 0 !== size) {
    push([], at(0, "ecx"), `leaf 0xd:0.ecx says the xsave area is ${hex(x0.ecx)} bytes, but the enabled states end at ${hex(size)}`);
  }
}
