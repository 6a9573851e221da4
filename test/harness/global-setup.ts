// vitest globalSetup of the integration project: one control plane per test
// run (binaries built or fetched first if missing), shared by every
// integration and end-to-end test file (they run one at a time), stopped at
// the end of the run or when the run is interrupted. A run of the unit
// project alone (`vitest run --project unit`) never starts it.

import type { TestProject } from "vitest/node";
import { ControlPlane, stopPlanesOnSignals } from "../../devenv/plane/control-plane.ts";
import { PLANE_HOSTS } from "./shared-plane.ts";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  stopPlanesOnSignals();
  const plane = await ControlPlane.start({
    hosts: PLANE_HOSTS,
    log: (line) => console.log(`[control-plane] ${line}`),
  });
  project.provide("cpuidFleetPlane", plane.info());
  return () => plane.stop();
}
