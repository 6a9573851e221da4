// The persisted state of one control plane (<dir>/plane.json). Every process
// that operates on the plane — the one that started it, test workers,
// `cluster down` — reads it, so pids survive restarts done elsewhere.

import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import type { ControlPlaneBinaryName } from "../toolchain/binaries.ts";
import type { ComponentName, PlanePorts } from "./components.ts";

export interface PlaneState {
  dir: string;
  /** The process that started the plane and stops it. */
  ownerPid: number;
  etcdDataDir: string;
  ports: PlanePorts;
  binaries: Record<ControlPlaneBinaryName, string>;
  pids: Partial<Record<ComponentName, number>>;
  natsHosts: string[];
  /** extra kube-apiserver flags after the defaults (a later flag wins), e.g. to turn API Priority and Fairness on */
  apiserverArgs?: string[];
  /** Remove the directories on stop (false when KEEP_TEST_DIRS=1). */
  removeOnStop: boolean;
}

export function readPlaneState(stateFile: string): PlaneState {
  return JSON.parse(readFileSync(stateFile, "utf8")) as PlaneState;
}

export function writePlaneState(stateFile: string, state: PlaneState): void {
  const tmp = `${stateFile}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + "\n");
  renameSync(tmp, stateFile);
}

export function updatePlaneState(stateFile: string, change: (state: PlaneState) => void): PlaneState {
  const state = readPlaneState(stateFile);
  change(state);
  writePlaneState(stateFile, state);
  return state;
}

export function removePlaneDirs(state: PlaneState): void {
  rmSync(state.etcdDataDir, { recursive: true, force: true });
  rmSync(state.dir, { recursive: true, force: true });
}
