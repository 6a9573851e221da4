// The CpuidRollout of a file, for `cpuidctl rollout plan`: exactly one object
// of the kind, its spec validated by the CRD's own zod schema, every problem
// named by its field.

import { parseAllDocuments } from "yaml";
import type { z } from "zod";
import { CpuidRolloutSpec } from "../shared/api/v1alpha1/cpuid-rollout.ts";
import { API_GROUP } from "../shared/api/v1alpha1/names.ts";
import { UsageError } from "./command.ts";
import { readInput } from "./policy-input.ts";

export interface RolloutDocument {
  name: string;
  spec: CpuidRolloutSpec;
}

interface Manifest {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown };
  spec?: unknown;
}

/** zod lists every allowed value of an enum: for a feature name, say which value is unknown instead */
function issueText(issue: z.core.$ZodIssue, spec: unknown): string {
  if (issue.code !== "invalid_value" || issue.values.length < 20) return issue.message;
  const value: unknown = issue.path.reduce<unknown>((v, k) => (v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k] : undefined), spec);
  return `${JSON.stringify(value)} is not a feature name Xen knows (lowercase, "_" written "-", e.g. avx512f, movdir64b)`;
}

export function readRolloutFile(file: string): RolloutDocument {
  const found: Manifest[] = [];
  for (const doc of parseAllDocuments(readInput(file))) {
    if (doc.errors.length) throw new UsageError(`${file}: not valid YAML: ${doc.errors[0].message}`);
    const value = doc.toJS() as Manifest | null;
    if (value?.kind === "CpuidRollout" && typeof value.apiVersion === "string" && value.apiVersion.startsWith(`${API_GROUP}/`)) found.push(value);
  }
  if (found.length !== 1) throw new UsageError(`${file}: expected one ${API_GROUP} CpuidRollout, found ${found.length}`);
  const [obj] = found;
  if (typeof obj.metadata?.name !== "string" || obj.metadata.name === "") throw new UsageError(`${file}: CpuidRollout: metadata.name is required`);
  const name = obj.metadata.name;
  const spec = CpuidRolloutSpec.safeParse(obj.spec ?? {});
  if (!spec.success) {
    const issues = spec.error.issues.map((i) => `spec.${i.path.join(".")}: ${issueText(i, obj.spec)}`).join("; ");
    throw new UsageError(`${file}: CpuidRollout ${name}: ${issues}`);
  }
  return { name, spec: spec.data };
}
