// What each agent publishes to the KV bucket `cpuid-hosts` under its host id,
// and the heartbeat it sends between publications.

import { z } from "zod";
import { GuestType } from "./guest.ts";
import { PolicyName, PolicyViews } from "./policy.ts";
import { labelErrors } from "../labels/label-syntax.ts";

export const HOST_POLICIES_SCHEMA_VERSION = 1;

export const ProbeKind = z.enum(["linux", "xen", "file"]);

/** What, when it changes, makes the host's policies change. */
export const Fingerprint = z.object({
  probe: ProbeKind,
  /** sha256 of the raw CPUID data and everything below; a change triggers re-publication */
  digest: z.string(),
  xenVersion: z.string().optional(),
  xenCommandLine: z.string().optional(),
  /** value of Xen's cpuid= boot option applied at the host step */
  cpuidCmdline: z.string().optional(),
  microcode: z.string().optional(),
  source: z.string().optional(),
  /**
   * the Xen release model (cpuid-fleet's shared/derive/release.ts, e.g. "4.17",
   * "master") that derived the policies; absent when they are Xen's own
   * (xen probe) or were published by an agent predating release models
   */
  releaseModel: z.string().optional(),
});
export type Fingerprint = z.infer<typeof Fingerprint>;

export const AgentLabels = z.record(z.string(), z.string()).superRefine((labels, ctx) => {
  for (const message of labelErrors(labels)) ctx.addIssue({ code: "custom", message });
});

export const HostPolicies = z.object({
  schemaVersion: z.literal(HOST_POLICIES_SCHEMA_VERSION),
  hostId: z.string().min(1).max(253),
  fingerprint: Fingerprint,
  cpu: z.object({
    vendor: z.string(),
    family: z.number().int().nonnegative(),
    model: z.number().int().nonnegative(),
    stepping: z.number().int().nonnegative(),
    brand: z.string(),
  }),
  tsc: z.object({ khz: z.number().int().positive().optional(), scaling: z.boolean().optional() }),
  /** the six policies in the same shape as `cpuidctl policy derive -o json` */
  policies: PolicyViews,
  /** "sha256:…" content hash of each policy (canonical serialised form) */
  hashes: z.record(PolicyName, z.string()),
  guestTypes: z.array(GuestType),
  agentVersion: z.string(),
  publishedAt: z.iso.datetime(),
  /** how often the agent sends heartbeats; readers judge its staleness by it (shared/nats/host-liveness.ts) */
  heartbeatIntervalSeconds: z.number().positive().optional(),
  /** the agent's own labels for its HostCpuidPolicy (`--labels`); the controller applies them beside the fact labels */
  labels: AgentLabels.optional(),
});
export type HostPolicies = z.infer<typeof HostPolicies>;

export const Heartbeat = z.object({
  hostId: z.string(),
  /** fingerprint digest of the published HostPolicies */
  digest: z.string(),
  at: z.iso.datetime(),
  domains: z.number().int().nonnegative(),
});
export type Heartbeat = z.infer<typeof Heartbeat>;
