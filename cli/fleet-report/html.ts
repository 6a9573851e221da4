// Renders a FleetReport as one self-contained HTML page: inline CSS and
// script, no network. Counts carry data-count attributes (what the page's
// test reads); the filter box hides host groups, feature rows, pools and
// policies that do not match. Long host lists are cut to their first names
// (the full list is in the title and in what the filter searches), so that
// the page of a fleet of thousands stays readable.

import { shortPolicyHash } from "../../shared/policy/canonical.ts";
import type { FeatureState, FleetReport, HostGroup, ReportPool } from "./model.ts";

/** host names shown in a list before "… and N more"; fewer in the narrow, vertical column headers */
const HOSTS_SHOWN = 6;
const HOSTS_SHOWN_IN_HEADER = 3;
/** features a limiting host removes, named before "… and N more" (all of them on hover) */
const REMOVES_SHOWN = 12;
/** a Ready-reason section with more policies starts folded */
const POLICIES_UNFOLDED = 20;

const STYLE = `
body { font: 13px system-ui, sans-serif; margin: 1em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.5em; }
#summary span { margin-right: 1.5em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: 2px 4px; }
th.group { font-weight: normal; vertical-align: bottom; }
th.group > div { writing-mode: vertical-rl; transform: rotate(180deg); max-height: 22em; text-align: left; }
tr.leaf th { background: #eee; text-align: left; }
.present { background: #4caf50; } .hidden { background: #ffb300; } .absent { background: #f5f5f5; }
.legend span { display: inline-block; padding: 0 6px; margin-right: 6px; }
.policy-state { margin-top: 0.8em; } .policy-state > summary { font-weight: bold; cursor: pointer; }
table#pools td { vertical-align: top; } table#pools ul { margin: 0; padding-left: 1.2em; }
.more { color: #666; } .not-ready { color: #a00; }
ul.findings { margin: 0.2em 0 0.4em 1.5em; color: #a00; }
[hidden] { display: none !important; }
`;

/** hides the host groups (columns) and feature rows the filter does not match; a URL fragment (fleet.html#avx512f) fills in the filter */
const SCRIPT = `
const input = document.getElementById("filter");
function applyFilter() {
  const q = input.value.trim().toLowerCase();
  const columns = [...document.querySelectorAll("th.group")];
  const hostMatch = columns.map((th) => !q || th.dataset.hosts.split(" ").some((h) => h.includes(q)));
  const anyHost = q && hostMatch.some(Boolean);
  columns.forEach((th, i) => {
    const show = !anyHost || hostMatch[i];
    th.hidden = !show;
    document.querySelectorAll('td[data-col="' + i + '"]').forEach((td) => { td.hidden = !show; });
  });
  for (const row of document.querySelectorAll("tr.feature")) row.hidden = Boolean(q) && !anyHost && !row.dataset.feature.includes(q);
  for (const el of document.querySelectorAll("li.policy, tr.pool")) el.hidden = Boolean(q) && !el.dataset.search.includes(q);
  if (q) for (const d of document.querySelectorAll("details.policy-state")) d.open = true;
}
input.addEventListener("input", applyFilter);
if (location.hash.length > 1) {
  input.value = decodeURIComponent(location.hash.slice(1));
  applyFilter();
}
`;

const REASON: Record<FeatureState, (guest: string) => string> = {
  present: (guest) => `offered to ${guest} guests (in ${guest}_max)`,
  hidden: (guest) => `the CPU has it, but Xen does not offer it to ${guest} guests (not in ${guest}_max)`,
  absent: () => "the CPU does not report it",
};

const LEGEND: Record<FeatureState, string> = { present: "present", hidden: "hidden by Xen", absent: "absent" };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** the first names, then how many more */
function shortList(names: readonly string[], limit = HOSTS_SHOWN): string {
  const shown = escapeHtml(names.slice(0, limit).join(", "));
  return names.length > limit ? `${shown} <span class="more">… and ${names.length - limit} more</span>` : shown;
}

function shortFeatures(names: readonly string[]): string {
  const shown = escapeHtml(names.slice(0, REMOVES_SHOWN).join(", "));
  return names.length > REMOVES_SHOWN ? `${shown} <span class="more" title="${escapeHtml(names.join(", "))}">… and ${names.length - REMOVES_SHOWN} more</span>` : shown;
}

function groupHeader(g: HostGroup, i: number): string {
  const names = g.hosts.join(" ");
  return `<th class="group" data-col="${i}" data-hosts="${escapeHtml(names.toLowerCase())}" title="${escapeHtml(g.hosts.join(", "))}"><div>${escapeHtml(g.cpu)} · <span class="group-hosts" data-count="${g.hosts.length}">${g.hosts.length}</span> host(s): ${shortList(g.hosts, HOSTS_SHOWN_IN_HEADER)}</div></th>`;
}

function matrix(r: FleetReport): string {
  const head = `<tr><th>feature</th>${r.groups.map(groupHeader).join("")}</tr>`;
  const rows = r.leaves.flatMap((leaf) => [
    `<tr class="leaf"><th colspan="${r.groups.length + 1}">${escapeHtml(leaf.source)}</th></tr>`,
    ...leaf.features.map((f) => {
      const cells = r.groups.map((g, i) => {
        const state = g.states.get(f) ?? "absent";
        return `<td class="${state}" data-col="${i}" title="${escapeHtml(`${f} on ${g.hosts.length} host(s): ${REASON[state](g.guest)}`)}"></td>`;
      });
      return `<tr class="feature" data-feature="${escapeHtml(f)}"><th>${escapeHtml(f)}</th>${cells.join("")}</tr>`;
    }),
  ]);
  return `<table id="features">${head}${rows.join("")}</table>`;
}

function policies(r: FleetReport): string {
  return [...r.policiesByState]
    .map(([state, list]) => {
      const items = list.map((p) => {
        const findings = p.findings.length ? `<ul class="findings">${p.findings.map((f) => `<li>${escapeHtml(f)}</li>`).join("")}</ul>` : "";
        const search = `${p.namespace}/${p.name} ${p.host} ${p.domain}`.toLowerCase();
        return `<li class="policy" data-search="${escapeHtml(search)}">${escapeHtml(`${p.namespace}/${p.name}`)}: domain ${escapeHtml(p.domain)} on ${escapeHtml(p.host)}${findings}</li>`;
      });
      const open = list.length <= POLICIES_UNFOLDED ? " open" : "";
      return `<details class="policy-state" data-state="${escapeHtml(state)}"${open}><summary>${escapeHtml(state)}: <span data-count="${list.length}">${list.length}</span></summary><ul>${items.join("")}</ul></details>`;
    })
    .join("");
}

/** hosts that remove the same features from a level share one line */
function byRemoved(limiting: ReportPool["limitingHosts"]): { hosts: string[]; removes: string[] }[] {
  const lines = new Map<string, { hosts: string[]; removes: string[] }>();
  for (const { host, removes } of limiting) {
    const key = removes.join(" ");
    const line = lines.get(key) ?? { hosts: [], removes };
    line.hosts.push(host);
    lines.set(key, line);
  }
  return [...lines.values()];
}

function poolRow(p: ReportPool): string {
  const search = [p.name, ...p.members, ...p.incompatibleHosts.map((h) => h.host)].join(" ").toLowerCase();
  const ready = p.ready === "True" ? "Ready" : `<span class="not-ready" title="${escapeHtml(p.readyMessage)}">${p.ready === "False" ? "not ready" : "Unknown"}: ${escapeHtml(p.readyMessage)}</span>`;
  const level = p.level ? `<span data-count="${p.level.featureCount}">${p.level.featureCount}</span> features, hash <code title="${escapeHtml(p.level.hash)}">${escapeHtml(shortPolicyHash(p.level.hash))}</code>` : "none";
  const limiting = byRemoved(p.limitingHosts).map((l) => `<li>${shortList(l.hosts)}${l.hosts.length > 1 ? ` (${l.hosts.length} hosts)` : ""}: removes ${l.removes.length}: ${shortFeatures(l.removes)}</li>`);
  const refused = p.incompatibleHosts.map((h) => `<li>${escapeHtml(h.host)}: lacks ${shortFeatures(h.missing)}</li>`);
  return `<tr class="pool" data-pool="${escapeHtml(p.name)}" data-search="${escapeHtml(search)}"><th>${escapeHtml(p.name)}</th><td>${escapeHtml(p.guestType)}</td><td>${escapeHtml(p.levelPolicy)}</td><td>${ready}</td>` +
    `<td title="${escapeHtml(p.members.join(", "))}"><span class="pool-members" data-count="${p.members.length}">${p.members.length}</span> host(s): ${shortList(p.members)}</td><td>${level}</td>` +
    `<td><ul class="limiting">${limiting.join("")}</ul></td><td><ul class="refused">${refused.join("")}</ul></td></tr>`;
}

function pools(r: FleetReport): string {
  if (r.pools.length === 0) return "<p>No CpuidPools.</p>";
  const head = "<tr><th>pool</th><th>guest</th><th>level policy</th><th>state</th><th>members</th><th>level</th><th>limiting hosts: what each removes from the level</th><th>refused hosts</th></tr>";
  return `<table id="pools">${head}${r.pools.map(poolRow).join("")}</table>`;
}

function rollouts(r: FleetReport): string {
  if (r.rollouts.length === 0) return "<p>No CpuidRollouts.</p>";
  const head = "<tr><th>rollout</th><th>change</th><th>state</th><th>wave</th><th>applied</th><th>staged</th><th>failed</th><th>progressing</th><th>pending</th><th>deleted</th></tr>";
  const rows = r.rollouts.map((o) => {
    const change = [...o.change.enable.map((f) => `+${f}`), ...o.change.disable.map((f) => `-${f}`)].join(" ");
    const state = o.halted ? `<span class="not-ready">halted (${escapeHtml(o.state)})</span>` : escapeHtml(o.state);
    const c = o.counts;
    const cells = [c.applied, c.staged, c.failed, c.progressing, c.pending, c.deleted].map((n) => `<td>${n}</td>`).join("");
    return `<tr class="rollout" data-rollout="${escapeHtml(o.name)}"><th>${escapeHtml(o.name)}</th><td>${escapeHtml(change)}</td><td>${state}</td><td>${o.wave} of ${o.waveCount}</td>${cells}</tr>`;
  });
  return `<table id="rollouts">${head}${rows.join("")}</table>`;
}

export function renderFleetReportHtml(r: FleetReport, generatedAt: Date): string {
  const legend = (["present", "hidden", "absent"] as const).map((s) => `<span class="${s}">${LEGEND[s]}</span>`).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cpuid-fleet report</title><style>${STYLE}</style></head>
<body>
<h1>cpuid-fleet report</h1>
<p>Generated ${escapeHtml(generatedAt.toISOString())}.</p>
<p id="summary"><span>hosts: <b id="host-count" data-count="${r.hostCount}">${r.hostCount}</b></span><span>distinct CPUs and policies: <b id="group-count" data-count="${r.groups.length}">${r.groups.length}</b></span><span>pools: <b id="pool-count" data-count="${r.pools.length}">${r.pools.length}</b></span><span>rollouts: <b id="rollout-count" data-count="${r.rollouts.length}">${r.rollouts.length}</b></span><span>domain policies: <b id="policy-count" data-count="${r.policyCount}">${r.policyCount}</b></span></p>
<p><label>Filter by host, pool or feature: <input id="filter" type="search" placeholder="host-a, avx512f"></label></p>
<h2>Pools</h2>
${pools(r)}
<h2>Rollouts</h2>
${rollouts(r)}
<h2>Features by leaf</h2>
<p class="legend">${legend} (hover a cell for the reason)</p>
${matrix(r)}
<h2>Domain policies by state</h2>
<div id="policies">${policies(r)}</div>
<script>${SCRIPT}</script>
</body></html>
`;
}
