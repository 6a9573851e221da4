// docs/runbooks.md and the alerts link each other: every alert's runbook_url
// is the repository-relative link to a section of docs/runbooks.md, every
// section there is an alert's, says what to check and do, and the links
// between sections resolve.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../../devenv/repo-root.ts";

const RUNBOOKS = "docs/runbooks.md";
const RULE = join(REPO_ROOT, "deploy", "prometheus", "prometheus-rule.yaml");
const PARTS = ["**Meaning.**", "**Confirm.**", "**Act.**", "**Escalate**"];

interface Alert {
  alert: string;
  annotations: Record<string, string>;
}

function alerts(): Alert[] {
  const rule = parse(readFileSync(RULE, "utf8")) as { spec: { groups: { rules: Alert[] }[] } };
  return rule.spec.groups.flatMap((g) => g.rules);
}

/** the anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** the `## ` sections of the runbooks: anchor → heading and body */
function sections(): Map<string, { heading: string; body: string }> {
  const text = readFileSync(join(REPO_ROOT, RUNBOOKS), "utf8");
  const parts = text.split(/^## /m).slice(1);
  return new Map(
    parts.map((part) => {
      const [heading, ...body] = part.split("\n");
      return [anchor(heading), { heading: heading.trim(), body: body.join("\n") }];
    }),
  );
}

describe("runbooks", () => {
  it("every alert's runbook_url is the link to its own section of docs/runbooks.md", () => {
    const found = sections();
    expect(alerts().length).toBeGreaterThan(0);
    for (const { alert, annotations } of alerts()) {
      const url = annotations.runbook_url;
      expect(url, `${alert} has a runbook_url`).toBeDefined();
      const [path, hash] = url.split("#");
      expect(path, `${alert}'s runbook_url`).toBe(RUNBOOKS);
      expect(found.get(hash)?.heading, `${alert}'s runbook_url anchor #${hash}`).toBe(alert);
    }
  });

  it("every section is an alert's, with what it means, how to confirm it, what to do and when to escalate", () => {
    const names = new Set(alerts().map((a) => a.alert));
    for (const { heading, body } of sections().values()) {
      expect(names, `section "${heading}" names an alert`).toContain(heading);
      for (const part of PARTS) expect(body, `${heading}: ${part}`).toContain(part);
    }
    expect(sections().size).toBe(names.size);
  });

  it("links between sections resolve", () => {
    const text = readFileSync(join(REPO_ROOT, RUNBOOKS), "utf8");
    const found = sections();
    const links = [...text.matchAll(/\]\(#([^)]+)\)/g)].map(([, target]) => target);
    expect(links.length).toBeGreaterThan(0);
    for (const target of links) expect(found.has(target), `#${target}`).toBe(true);
  });
});
