// `kubectl explain` explains: the real kubectl, against the real apiserver
// serving the committed CRDs, shows each field's description for every field
// of both kinds (spec and status, walking the schema).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DOMAIN_POLICY_NAMES, HOST_POLICY_NAMES, crdName, type KindNames } from "../../../shared/api/v1alpha1/names.ts";
import { eventually, kubectl } from "../../harness/context.ts";
import { REPO_ROOT } from "../../../devenv/repo-root.ts";

interface Schema {
  description?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
}

/** Every field below spec and status, as `kubectl explain` paths, with the description the CRD gives it. */
function fields(names: KindNames): { path: string; description: string }[] {
  const crd = parse(readFileSync(join(REPO_ROOT, "crds", `${crdName(names)}.yaml`), "utf8")) as { spec: { versions: { schema: { openAPIV3Schema: Schema } }[] } };
  const out: { path: string; description: string }[] = [];
  const walk = (path: string, s: Schema) => {
    out.push({ path, description: s.description ?? "" });
    const children = s.properties ?? s.items?.properties ?? {};
    for (const [name, sub] of Object.entries(children)) walk(`${path}.${name}`, sub);
  };
  const root = crd.spec.versions[0].schema.openAPIV3Schema.properties!;
  for (const top of ["spec", "status"]) if (root[top]) walk(`${names.shortName}.${top}`, root[top]);
  return out;
}

/** The DESCRIPTION section of `kubectl explain <path>`, on one line. */
async function explained(path: string): Promise<string> {
  const r = await kubectl(["explain", path]);
  if (r.status !== 0) throw new Error(`kubectl explain ${path} failed (exit ${r.status}): ${r.stderr.trim()}`);
  const section = /^DESCRIPTION:\n([\s\S]*?)(?=^[A-Z][A-Z ]*:\s*$|(?![\s\S]))/m.exec(r.stdout);
  if (!section) throw new Error(`kubectl explain ${path} printed no DESCRIPTION section:\n${r.stdout}`);
  return oneLine(section[1]);
}

const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();

describe("kubectl explain", () => {
  it("explains dcp.spec.enable", async () => {
    // the apiserver publishes a CRD's OpenAPI shortly after it is established
    await eventually("kubectl explain dcp.spec.enable", async () => expect(await explained("dcp.spec.enable")).toMatch(/^Features to turn on over the baseline/));
  });

  it.each([DOMAIN_POLICY_NAMES, HOST_POLICY_NAMES].map((n) => [n.kind, n] as const))("shows the description of every field of %s", async (_kind, names) => {
    const all = fields(names);
    expect(all.length).toBeGreaterThan(10);
    const shown: { path: string; description: string }[] = [];
    // two kubectl processes at a time: the machine is shared
    const queue = [...all];
    await Promise.all(
      [0, 1].map(async () => {
        for (let f = queue.shift(); f; f = queue.shift()) shown.push({ path: f.path, description: await explained(f.path) });
      }),
    );
    shown.sort((a, b) => a.path.localeCompare(b.path));
    const expected = all.map((f) => ({ path: f.path, description: oneLine(f.description) })).sort((a, b) => a.path.localeCompare(b.path));
    expect(expected.filter((f) => f.description === "")).toEqual([]);
    expect(shown).toEqual(expected);
  });
});
