// What `virsh cpu-baseline [--features]` prints: one <cpu> with libvirt's
// model, vendor and features (policy='require' kept, policy='disable' taken
// out of the model). With --features every feature of the model is listed.

import { FormatError } from "../formats/format-error.ts";
import { parseXmlElements } from "./xml-elements.ts";

export interface LibvirtBaseline {
  model: string;
  vendor?: string;
  /** features with policy 'require' (or no policy) */
  required: string[];
  disabled: string[];
}

export function parseLibvirtBaseline(text: string, source: string): LibvirtBaseline {
  const cpus = parseXmlElements(text, source);
  if (cpus.length !== 1 || cpus[0].name !== "cpu") throw new FormatError(source, 1, 1, `expected one <cpu> element, got ${cpus.map((c) => `<${c.name}>`).join(", ") || "nothing"}`);
  const cpu = cpus[0];
  const model = cpu.children.find((c) => c.name === "model")?.text;
  if (!model) throw new FormatError(source, cpu.line, 1, "baseline <cpu> has no <model>");
  const vendor = cpu.children.find((c) => c.name === "vendor")?.text;
  const required: string[] = [];
  const disabled: string[] = [];
  for (const f of cpu.children.filter((c) => c.name === "feature")) {
    const name = f.attrs.name;
    if (!name) throw new FormatError(source, f.line, 1, "<feature> without a name");
    const policy = f.attrs.policy ?? "require";
    if (policy === "require") required.push(name);
    else if (policy === "disable") disabled.push(name);
    else throw new FormatError(source, f.line, 1, `feature ${name}: unexpected policy '${policy}' in a baseline`);
  }
  return { model, ...(vendor ? { vendor } : {}), required, disabled };
}
