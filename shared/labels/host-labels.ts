// The labels the controller manages on a HostCpuidPolicy, like
// node-feature-discovery's on Nodes: the CPU's facts under cpuidfleet.io/, and
// the labels the host's agent asked for. Which keys the controller set is kept
// in an annotation, so it can remove its own labels when they go and never
// touch anyone else's (`kubectl label hcp …`). Pure.

import { labelErrors } from "./label-syntax.ts";

export const FACT_LABEL_PREFIX = "cpuidfleet.io/";
export const VENDOR_LABEL = `${FACT_LABEL_PREFIX}vendor`;
export const FAMILY_LABEL = `${FACT_LABEL_PREFIX}family`;
export const MODEL_LABEL = `${FACT_LABEL_PREFIX}model`;
/** comma-separated keys of the labels the controller set on this object */
export const MANAGED_LABELS_ANNOTATION = `${FACT_LABEL_PREFIX}managed-labels`;

export interface CpuFacts {
  vendor: string;
  family: number;
  model: number;
}

/** Family and model in decimal, as CPUID leaf 1 reports them (with the extended fields). */
export function factLabels(cpu: CpuFacts): Record<string, string> {
  return { [VENDOR_LABEL]: cpu.vendor, [FAMILY_LABEL]: String(cpu.family), [MODEL_LABEL]: String(cpu.model) };
}

/** The agent's own labels (already validated on publication); fact labels win over an agent label of the same key. */
export function desiredLabels(cpu: CpuFacts, agentLabels: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const valid = agentLabels && labelErrors(agentLabels).length === 0 ? agentLabels : {};
  return { ...valid, ...factLabels(cpu) };
}

export function managedKeys(annotations: Readonly<Record<string, string>> | undefined): string[] {
  const text = annotations?.[MANAGED_LABELS_ANNOTATION];
  return text ? text.split(",").filter(Boolean) : [];
}

export interface LabelPatch {
  /** key → value to set, or null to remove */
  labels: Record<string, string | null>;
  managedAnnotation: string;
}

/**
 * The merge patch that brings the object's labels to `desired`, or undefined
 * when nothing changes. A key an operator set and the controller never did
 * is left alone, even if the controller would set it.
 */
export function labelPatch(
  current: Readonly<Record<string, string>> | undefined,
  annotations: Readonly<Record<string, string>> | undefined,
  desired: Readonly<Record<string, string>>,
): LabelPatch | undefined {
  const labels = current ?? {};
  const previous = new Set(managedKeys(annotations));
  const owned = Object.keys(desired).filter((k) => previous.has(k) || !Object.hasOwn(labels, k));
  const patch: Record<string, string | null> = {};
  for (const k of owned) if (labels[k] !== desired[k]) patch[k] = desired[k];
  for (const k of previous) if (!Object.hasOwn(desired, k) && Object.hasOwn(labels, k)) patch[k] = null;
  const managedAnnotation = owned.sort().join(",");
  if (Object.keys(patch).length === 0 && managedAnnotation === [...previous].sort().join(",")) return undefined;
  return { labels: patch, managedAnnotation };
}
