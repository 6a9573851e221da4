// vitest globalSetup of the integration project: one control plane per test
// run, shared by every integration and end-to-end test file (they run one at
// a time). Unit tests are a separate project and never trigger this.

import type { TestProject } from "vitest/node";
import { ensureAllBinaries } from "../../scripts/toolchain/ensure.ts";
import { ControlPlane, stopPlanesOnSignals } from "./control-plane.ts";
import { PLANE_HOSTS } from "./shared-plane.ts";
import { connectAs, createHostsBucket } from "./nats-client.ts";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => console.log(`[control-plane] ${line}`);
  const binaries = await ensureAllBinaries();
  stopPlanesOnSignals();
  const plane = await ControlPlane.start({ hosts: PLANE_HOSTS, binaries, log });
  try {
    const admin = await connectAs(plane.info().natsUrl, plane.layout.credsDir, "admin");
    await createHostsBucket(admin);
    await admin.close();
  } catch (err) {
    await plane.stop();
    throw err;
  }
  project.provide("cpuidFleetPlane", plane.info());
  return () => plane.stop();
}
