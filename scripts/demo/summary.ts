// The demo's summary: the hosts as the controller mirrored them and every
// example policy with its audit and apply outcome, read back from the API.

import type { DomainCpuidPolicyObject } from "../../shared/api/v1alpha1/domain-cpuid-policy.ts";
import type { HostCpuidPolicyObject } from "../../shared/api/v1alpha1/host-cpuid-policy.ts";
import { featureByName } from "../../shared/featureset/features.ts";
import { hasFeature, parseFeatureset } from "../../shared/featureset/featureset.ts";
import type { FleetSnapshot } from "./settle.ts";

export function renderSummary(snapshot: FleetSnapshot): string {
  const lines: string[] = [];
  const gdsHosts = snapshot.hosts.filter(avxOffForGds).map((h) => h.status?.hostId ?? "");
  lines.push("Hosts (kubectl get hcp)");
  lines.push(
    ...table(
      ["HOST", "CPU", "HVM MAX", "HVM DEFAULT", "NOTE"],
      snapshot.hosts.map((h) => {
        const s = h.status ?? {};
        return [s.hostId ?? h.metadata.name ?? "", s.brand ?? "", count(h, "hvm_max"), count(h, "hvm_default"), gdsHosts.includes(s.hostId ?? "") ? "no AVX (GDS) *" : ""];
      }),
    ),
  );
  lines.push("", "Domain policies (kubectl get dcp -A)");
  lines.push(
    ...table(
      ["POLICY", "HOST", "DOMAIN", "GUEST", "AUDITED", "APPLIED", "FINDINGS"],
      snapshot.policies.map((p) => {
        const spec = p.spec as { host?: string; domain?: string; guestType?: string };
        return [p.metadata.name ?? "", spec.host ?? "", spec.domain ?? "", spec.guestType ?? "", condition(p, "Audited")?.status ?? "-", applied(p), String(p.status?.findings?.length ?? 0)];
      }),
    ),
  );
  const notes = snapshot.policies.filter((p) => condition(p, "Audited")?.status === "False");
  if (notes.length > 0 || gdsHosts.length > 0) lines.push("");
  for (const p of notes) lines.push(`  ${p.metadata.name}: ${condition(p, "Audited")?.message ?? ""}`);
  for (const p of snapshot.policies.filter((p) => condition(p, "Applied")?.reason === "Staged")) {
    lines.push(`  ${p.metadata.name}: ${condition(p, "Applied")?.message ?? ""}`);
  }
  if (gdsHosts.length > 0) {
    lines.push(
      `  * ${gdsHosts.join(", ")}: the CPUs have AVX, but Xen turns AVX (and AVX2, AVX-512, …) off on Intel models affected by`,
      "    GDS (Downfall) unless MSR_ARCH_CAPS shows GDS_CTRL or GDS_NO, and these CPUs' dumps show neither.",
    );
  }
  if (!snapshot.settled) lines.push("", "  (not everything settled in time: the controller may still be working; kubectl get dcp -A shows the latest)");
  return lines.join("\n") + "\n\n";
}

function condition(p: DomainCpuidPolicyObject, type: string) {
  return p.status?.conditions?.find((c) => c.type === type);
}

function applied(p: DomainCpuidPolicyObject): string {
  const c = condition(p, "Applied");
  if (!c) return "-";
  if (c.status === "True") return c.reason === "Staged" ? "staged" : "applied";
  return c.reason === "NotAudited" ? "not sent" : c.reason;
}

function count(h: HostCpuidPolicyObject, policy: "hvm_max" | "hvm_default"): string {
  const n = h.status?.policies?.[policy]?.featureCount;
  return n === undefined ? "-" : `${n} features`;
}

function featuresetHas(h: HostCpuidPolicyObject, policy: "raw" | "host", feature: string): boolean {
  const text = h.status?.policies?.[policy]?.featureset;
  return text !== undefined && hasFeature(parseFeatureset(text), featureByName(feature)!);
}

/** Xen's GDS mitigation on a CPU without GDS_CTRL/GDS_NO: the raw CPU has AVX, Xen's host policy has not. */
function avxOffForGds(h: HostCpuidPolicyObject): boolean {
  return h.status?.vendor === "intel" && featuresetHas(h, "raw", "avx") && !featuresetHas(h, "host", "avx") && !featuresetHas(h, "host", "gds-no");
}

export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ")}`.trimEnd();
  return [line(header), ...rows.map(line)];
}
