// feature-not-in-max and unknown-bit: every requested bit must be a known
// feature that the (possibly narrowed) max policy offers.

import { featureByValue } from "../featureset/features.ts";
import { guestMask, KNOWN_FEATURES, type GuestType } from "../featureset/masks.ts";
import { WORDS } from "../featureset/words.ts";
import { bitPosition, describeBit, describeFeature, type Finding } from "./finding.ts";

/** True when req ⊆ allowed ∩ KNOWN for every word. */
export function featuresClean(req: Uint32Array, allowed: Uint32Array): boolean {
  for (let w = 0; w < req.length; w++) if ((req[w] & ~(allowed[w] & KNOWN_FEATURES[w])) !== 0) return false;
  return true;
}

export function featureFindings(req: Uint32Array, allowed: Uint32Array, guest: GuestType | undefined, hap: boolean, out: Finding[]): void {
  for (let w = 0; w < req.length; w++) {
    const extra = req[w] & ~(allowed[w] & KNOWN_FEATURES[w]);
    for (let bit = 0; bit < 32; bit++) {
      if (!(extra & (1 << bit))) continue;
      const f = featureByValue(w * 32 + bit);
      if (!f) {
        out.push({
          code: "unknown-bit",
          features: [],
          ...bitPosition(w, bit),
          message: `${describeBit(w, bit)} (featureset word ${w} "${WORDS[w].abbrev}" bit ${bit}) is set, but Xen defines no feature there`,
        });
        continue;
      }
      let why = "the max policy does not offer it (the host lacks it, or Xen or its command line hides it)";
      if (guest && !(guestMask(guest, "max", hap)[w] & (1 << bit))) {
        const kind = guest === "pv" ? "PV" : hap ? "HVM (HAP)" : "HVM (shadow paging)";
        why = `Xen never offers it to ${kind} guests (annotation "${f.annotation || "none"}")`;
      }
      out.push({
        code: "feature-not-in-max",
        features: [f.name],
        ...bitPosition(w, bit),
        message: `${describeFeature(f)} is requested but ${why}`,
      });
    }
  }
}
