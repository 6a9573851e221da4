// Does our level agree with libvirt's baseline of the same hosts? libvirt
// levels what the hardware reports (each host's raw CPUID, in its names); we
// level what Xen offers guests (each host's guest max). Every feature our
// level keeps that libvirt can name must be in libvirt's expanded baseline,
// unless the hosts' own policies explain why: Xen offers it to guests on a
// host whose hardware does not report it, or it is a pool-wide hint levelling
// ORs. The other way round, libvirt keeping what we drop, is explained when
// some host's guest max lacks the feature (Xen hides it from guests there).

import { FEATURES, type Feature } from "../featureset/features.ts";
import { hasFeature, type Featureset } from "../featureset/featureset.ts";
import type { LibvirtBaseline } from "./baseline-output.ts";
import type { FeatureNamePairs } from "./feature-names.ts";

export interface ComparedHost {
  host: string;
  /** what libvirt was given: the hardware's features */
  hardware: Featureset;
  /** what we levelled: the host's guest max */
  guestMax: Featureset;
}

export interface Difference {
  feature: string;
  libvirt: string;
  /** why the two tools differ here, from the hosts' policies; undefined when nothing explains it */
  reason?: string;
}

export interface Agreement {
  /** our level's features libvirt has a name for */
  compared: number;
  /** in our level, not in libvirt's baseline */
  onlyOurs: Difference[];
  /** in libvirt's baseline, not in our level (features we can name) */
  onlyLibvirt: Difference[];
  /** true when every difference of onlyOurs is explained */
  agrees: boolean;
}

const lacking = (hosts: readonly ComparedHost[], set: (h: ComparedHost) => Featureset, f: Feature) =>
  hosts.filter((h) => !hasFeature(set(h), f)).map((h) => h.host);

function whyOnlyOurs(f: Feature, hosts: readonly ComparedHost[]): string | undefined {
  const notInGuestMax = lacking(hosts, (h) => h.guestMax, f);
  if (notInGuestMax.length) return `pool-wide hint, OR-ed by levelling (not offered on ${notInGuestMax.join(", ")})`;
  const notInHardware = lacking(hosts, (h) => h.hardware, f);
  if (notInHardware.length) return `Xen offers it to guests where the hardware does not report it (${notInHardware.join(", ")})`;
  return undefined;
}

function whyOnlyLibvirt(f: Feature, hosts: readonly ComparedHost[]): string | undefined {
  const hidden = lacking(hosts, (h) => h.guestMax, f);
  return hidden.length ? `Xen does not offer it to guests on ${hidden.join(", ")}` : undefined;
}

export function compareWithLibvirt(level: Featureset, baseline: LibvirtBaseline, pairs: FeatureNamePairs, hosts: readonly ComparedHost[]): Agreement {
  const kept = new Set(baseline.required.map((n) => pairs.toOurs.get(n)).filter((n) => n !== undefined));
  const onlyOurs: Difference[] = [];
  const onlyLibvirt: Difference[] = [];
  let compared = 0;
  for (const f of FEATURES) {
    const libvirt = pairs.toLibvirt.get(f.name);
    if (libvirt === undefined) continue;
    const ours = hasFeature(level, f);
    if (ours) compared++;
    if (ours && !kept.has(f.name)) onlyOurs.push({ feature: f.name, libvirt, reason: whyOnlyOurs(f, hosts) });
    if (!ours && kept.has(f.name)) onlyLibvirt.push({ feature: f.name, libvirt, reason: whyOnlyLibvirt(f, hosts) });
  }
  return { compared, onlyOurs, onlyLibvirt, agrees: onlyOurs.every((d) => d.reason !== undefined) };
}
