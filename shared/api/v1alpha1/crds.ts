// The CustomResourceDefinitions of cpuidfleet.io/v1alpha1, built from the zod
// schemas beside this file. `scripts/gen-crds.ts` writes them to crds/; a unit
// test keeps the committed YAML equal to this output.

import { z } from "zod";
import { stringify } from "yaml";
import { toStructuralSchema, type JsonSchema } from "../structural-schema.ts";
import { DOMAIN_CPUID_POLICY_DESCRIPTION, DomainCpuidPolicySpec, DomainCpuidPolicyStatus } from "./domain-cpuid-policy.ts";
import { HOST_CPUID_POLICY_DESCRIPTION, HostCpuidPolicyStatus } from "./host-cpuid-policy.ts";
import { CPUID_POOL_DESCRIPTION, CpuidPoolSpec, CpuidPoolStatus } from "./cpuid-pool.ts";
import { CPUID_ROLLOUT_DESCRIPTION, CpuidRolloutSpec, CpuidRolloutStatus } from "./cpuid-rollout.ts";
import { API_GROUP, API_VERSION, CATEGORY, GROUP_VERSION, DOMAIN_POLICY_NAMES, HOST_POLICY_NAMES, POOL_NAMES, ROLLOUT_NAMES, crdName, type KindNames } from "./names.ts";

/** CEL rules mirroring the zod refinements of DomainCpuidPolicySpec, so the apiserver refuses what the controller would. */
export const DOMAIN_POLICY_SPEC_RULES = [
  {
    rule: "!has(self.enable) || !has(self.disable) || self.enable.all(f, !(f in self.disable))",
    message: "a feature may not be both enabled and disabled",
    fieldPath: ".enable",
    reason: "FieldValueInvalid",
  },
  {
    rule: "!has(self.baseline) || self.baseline != 'pool' || has(self.pool)",
    message: "spec.pool is required when spec.baseline is pool",
    fieldPath: ".pool",
    reason: "FieldValueRequired",
  },
  {
    rule: "!has(self.pool) || (has(self.baseline) && self.baseline == 'pool')",
    message: "spec.pool is only valid with spec.baseline: pool",
    fieldPath: ".pool",
    reason: "FieldValueForbidden",
  },
  {
    rule: "!has(self.policy) || ((!has(self.enable) || size(self.enable) == 0) && (!has(self.disable) || size(self.disable) == 0))",
    message: "spec.policy replaces enable/disable; give one or the other",
    fieldPath: ".policy",
    reason: "FieldValueForbidden",
  },
];

const condition = (type: string) => `.status.conditions[?(@.type=="${type}")]`;

export function domainCpuidPolicyCrd(): object {
  const spec = toStructuralSchema(z.toJSONSchema(DomainCpuidPolicySpec, { io: "input" }));
  for (const list of ["enable", "disable"]) {
    (spec.properties as Record<string, JsonSchema>)[list]["x-kubernetes-list-type"] = "set";
  }
  spec["x-kubernetes-validations"] = DOMAIN_POLICY_SPEC_RULES;
  // input: status.carriedPolicy is the wire form, whose hex fields normalise through a transform
  const status = toStructuralSchema(z.toJSONSchema(DomainCpuidPolicyStatus, { io: "input" }));
  return crd(DOMAIN_POLICY_NAMES, DOMAIN_CPUID_POLICY_DESCRIPTION, { spec, status }, ["spec"], [
    { name: "Host", type: "string", jsonPath: ".spec.host" },
    { name: "Domain", type: "string", jsonPath: ".spec.domain" },
    { name: "Guest", type: "string", jsonPath: ".spec.guestType" },
    { name: "Audited", type: "string", jsonPath: `${condition("Audited")}.status` },
    { name: "Applied", type: "string", jsonPath: `${condition("Applied")}.status` },
    { name: "Activation", type: "string", jsonPath: ".status.activation" },
    { name: "Migratable", type: "string", jsonPath: `${condition("Migratable")}.status`, priority: 1 },
    { name: "Reason", type: "string", jsonPath: `${condition("Ready")}.reason`, priority: 1 },
    { name: "Hash", type: "string", jsonPath: ".status.policyHash", priority: 1 },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ]);
}

export function hostCpuidPolicyCrd(): object {
  const status = toStructuralSchema(z.toJSONSchema(HostCpuidPolicyStatus, { io: "output" }));
  return crd(HOST_POLICY_NAMES, HOST_CPUID_POLICY_DESCRIPTION, { status }, [], [
    { name: "Vendor", type: "string", jsonPath: ".status.vendor" },
    { name: "Family", type: "integer", jsonPath: ".status.family" },
    { name: "Model", type: "integer", jsonPath: ".status.model" },
    { name: "HVM-Max", type: "integer", jsonPath: ".status.policies.hvm_max.featureCount" },
    { name: "HVM-Default", type: "integer", jsonPath: ".status.policies.hvm_default.featureCount" },
    { name: "Ready", type: "string", jsonPath: `${condition("Ready")}.status` },
    { name: "Stale", type: "string", jsonPath: `${condition("Stale")}.status` },
    { name: "Brand", type: "string", jsonPath: ".status.brand", priority: 1 },
    { name: "Last-Seen", type: "date", jsonPath: ".status.lastSeen", priority: 1 },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ]);
}

export function cpuidPoolCrd(): object {
  const spec = toStructuralSchema(z.toJSONSchema(CpuidPoolSpec, { io: "input" }));
  const status = toStructuralSchema(z.toJSONSchema(CpuidPoolStatus, { io: "output" }));
  return crd(POOL_NAMES, CPUID_POOL_DESCRIPTION, { spec, status }, ["spec"], [
    { name: "Guest", type: "string", jsonPath: ".spec.guestType" },
    { name: "Policy", type: "string", jsonPath: ".spec.levelPolicy" },
    { name: "Members", type: "integer", jsonPath: ".status.memberCount" },
    { name: "Level", type: "integer", jsonPath: ".status.featureCount" },
    { name: "Ready", type: "string", jsonPath: `${condition("Ready")}.status` },
    { name: "Incompatible", type: "string", jsonPath: `${condition("HostIncompatible")}.status`, priority: 1 },
    { name: "Hash", type: "string", jsonPath: ".status.level.hash", priority: 1 },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ]);
}

/** CEL rules mirroring the zod refinements of CpuidRolloutSpec, so the apiserver refuses what the controller would. */
export const ROLLOUT_SPEC_RULES = [
  {
    rule: "(has(self.enable) && size(self.enable) > 0) || (has(self.disable) && size(self.disable) > 0)",
    message: "give at least one feature to enable or disable",
    fieldPath: ".enable",
    reason: "FieldValueRequired",
  },
  {
    rule: "!has(self.enable) || !has(self.disable) || self.enable.all(f, !(f in self.disable))",
    message: "a feature may not be both enabled and disabled",
    fieldPath: ".enable",
    reason: "FieldValueInvalid",
  },
  {
    rule: "!has(self.strategy) || !has(self.strategy.batchSize) || !has(self.strategy.waves)",
    message: "give batchSize or waves, not both",
    fieldPath: ".strategy",
    reason: "FieldValueInvalid",
  },
  {
    rule: "!has(self.strategy) || !has(self.strategy.waves) || (self.strategy.waves[size(self.strategy.waves) - 1] == 100 && self.strategy.waves.all(w, self.strategy.waves.filter(v, v == w).size() == 1))",
    message: "wave percentages must be distinct and the last must reach 100",
    fieldPath: ".strategy.waves",
    reason: "FieldValueInvalid",
  },
  {
    rule: "!has(self.strategy) || !has(self.strategy.maxFailures) || type(self.strategy.maxFailures) == int || self.strategy.maxFailures.matches('^[0-9]{1,3}%$')",
    message: "maxFailures is a count or a percentage such as 10%",
    fieldPath: ".strategy.maxFailures",
    reason: "FieldValueInvalid",
  },
];

export function cpuidRolloutCrd(): object {
  const spec = toStructuralSchema(z.toJSONSchema(CpuidRolloutSpec, { io: "input" }));
  for (const list of ["enable", "disable"]) {
    (spec.properties as Record<string, JsonSchema>)[list]["x-kubernetes-list-type"] = "set";
  }
  spec["x-kubernetes-validations"] = ROLLOUT_SPEC_RULES;
  const status = toStructuralSchema(z.toJSONSchema(CpuidRolloutStatus, { io: "output" }));
  return crd(ROLLOUT_NAMES, CPUID_ROLLOUT_DESCRIPTION, { spec, status }, ["spec"], [
    { name: "Wave", type: "integer", jsonPath: ".status.currentWave" },
    { name: "Waves", type: "integer", jsonPath: ".status.waveCount" },
    { name: "Applied", type: "integer", jsonPath: ".status.counts.applied" },
    { name: "Staged", type: "integer", jsonPath: ".status.counts.staged" },
    { name: "Failed", type: "integer", jsonPath: ".status.counts.failed" },
    { name: "Pending", type: "integer", jsonPath: ".status.counts.pending" },
    { name: "State", type: "string", jsonPath: `${condition("Progressing")}.reason` },
    { name: "Halted", type: "string", jsonPath: `${condition("Halted")}.status`, priority: 1 },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ]);
}

export function allCrds(): { fileName: string; crd: object }[] {
  return [
    { fileName: `${crdName(DOMAIN_POLICY_NAMES)}.yaml`, crd: domainCpuidPolicyCrd() },
    { fileName: `${crdName(HOST_POLICY_NAMES)}.yaml`, crd: hostCpuidPolicyCrd() },
    { fileName: `${crdName(POOL_NAMES)}.yaml`, crd: cpuidPoolCrd() },
    { fileName: `${crdName(ROLLOUT_NAMES)}.yaml`, crd: cpuidRolloutCrd() },
  ];
}

export const GENERATED_HEADER = "# Generated by scripts/gen-crds.ts from shared/api/v1alpha1; do not edit.\n";

export function renderCrdYaml(crd: object): string {
  return GENERATED_HEADER + stringify(crd, { lineWidth: 0 });
}

interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  priority?: number;
}

function crd(
  names: KindNames,
  description: string,
  properties: Record<string, JsonSchema>,
  required: string[],
  additionalPrinterColumns: PrinterColumn[],
): object {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: crdName(names) },
    spec: {
      group: API_GROUP,
      scope: names.scope,
      names: {
        kind: names.kind,
        listKind: `${names.kind}List`,
        plural: names.plural,
        singular: names.singular,
        shortNames: [names.shortName],
        categories: [CATEGORY],
      },
      versions: [
        {
          name: API_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns,
          schema: {
            openAPIV3Schema: {
              type: "object",
              description,
              properties: {
                apiVersion: { type: "string", description: `Versioned schema of this object: ${GROUP_VERSION}.` },
                kind: { type: "string", description: `Kind of this object: ${names.kind}.` },
                // the apiserver refuses anything but a type here: it supplies ObjectMeta's schema
                metadata: { type: "object" },
                ...properties,
              },
              ...(required.length ? { required } : {}),
            },
          },
        },
      ],
    },
  };
}
