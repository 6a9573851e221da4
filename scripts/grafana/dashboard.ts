// The Grafana dashboard deploy/grafana/cpuid-fleet.json, as data: one section
// (a collapsible row) per part of the fleet, each a list of panels with their
// PromQL. A new part of the fleet (pools, rollouts) is one more section in
// SECTIONS. Rendered by scripts/gen-dashboard.ts; every query is checked with
// promtool against the daemons' metric names by
// test/integration/controller/grafana-dashboard.test.ts.
//
// Only the leader replica reports the domain-policy and host gauges, so
// their queries take max over replicas, as the alerts do.

const DATASOURCE = { type: "prometheus", uid: "${datasource}" } as const;
/** panels per row of the grid; Grafana's grid is 24 units wide */
const PANELS_PER_ROW = 3;
const PANEL_WIDTH = 24 / PANELS_PER_ROW;
const PANEL_HEIGHT = 8;

export interface Query {
  expr: string;
  legend: string;
}

export interface Panel {
  title: string;
  description: string;
  kind: "timeseries" | "stat";
  unit?: string;
  queries: Query[];
}

export interface Section {
  title: string;
  panels: Panel[];
}

const q = (expr: string, legend: string): Query => ({ expr, legend });

export const SECTIONS: readonly Section[] = [
  {
    title: "Hosts",
    panels: [
      {
        title: "Hosts by state",
        description: "Hosts in the cpuid-hosts bucket: ready (heard from recently) or stale (CpuidHostStale).",
        kind: "timeseries",
        queries: [q("max by (state) (cpuid_hosts)", "{{state}}")],
      },
      {
        title: "Stale hosts",
        description: "Hosts silent for three heartbeat intervals: policies cannot be applied to them.",
        kind: "stat",
        queries: [q('max(cpuid_hosts{state="stale"})', "stale")],
      },
      {
        title: "Oldest host publications",
        description: "Seconds since each host last published its policies, the ten oldest.",
        kind: "timeseries",
        unit: "s",
        queries: [q('topk(10, max by (host) (cpuid_host_policy_age_seconds{host=~"$host"}))', "{{host}}")],
      },
    ],
  },
  {
    title: "Domain policies",
    panels: [
      {
        title: "Policies by condition",
        description: "DomainCpuidPolicies by condition (Audited, Applied, Ready) and status.",
        kind: "timeseries",
        queries: [q("max by (condition, status) (cpuid_domain_policies)", "{{condition}}={{status}}")],
      },
      {
        title: "Policies failing now",
        description: "Policies failing now, by reason (CpuidAuditFailures, CpuidHostPolicyChanged).",
        kind: "timeseries",
        queries: [q("max by (reason) (cpuid_domain_policies_failing)", "{{reason}}")],
      },
      {
        title: "Audit failures by reason",
        description: "New audit failures per interval, counted once per failing policy version and host policy (CpuidNewAuditFailures).",
        kind: "timeseries",
        queries: [q("sum by (reason) (increase(cpuid_audit_failures_total[$__rate_interval]))", "{{reason}}")],
      },
      {
        title: "Domain resets",
        description: "Domains no policy governs any more, reset to the host default (by the agent's result), and those the sweep could not decide about.",
        kind: "timeseries",
        queries: [
          q("sum by (result) (increase(cpuid_domain_resets_total[$__rate_interval]))", "reset {{result}}"),
          q("sum by (reason) (increase(cpuid_domain_resets_undecided_total[$__rate_interval]))", "undecided {{reason}}"),
        ],
      },
      {
        title: "Xen verification mismatches",
        description: "Started domains whose policy differs from the staged one (CpuidXenVerificationMismatch).",
        kind: "timeseries",
        queries: [q('sum by (host) (increase(cpuid_agent_xen_verifications_total{result="mismatch",host=~"$host"}[$__rate_interval]))', "{{host}}")],
      },
    ],
  },
  {
    title: "Controller",
    panels: [
      {
        title: "Set latency",
        description: "Round trip of set requests to the agents: 50th and 99th percentiles, by result.",
        kind: "timeseries",
        unit: "s",
        queries: [
          q("histogram_quantile(0.5, sum by (le, result) (rate(cpuid_set_policy_duration_seconds_bucket[$__rate_interval])))", "p50 {{result}}"),
          q("histogram_quantile(0.99, sum by (le, result) (rate(cpuid_set_policy_duration_seconds_bucket[$__rate_interval])))", "p99 {{result}}"),
        ],
      },
      {
        title: "Reconcile latency",
        description: "Duration of one reconcile, 99th percentile by kind (domain, host, sweep).",
        kind: "timeseries",
        unit: "s",
        queries: [q("histogram_quantile(0.99, sum by (le, kind) (rate(cpuid_reconcile_duration_seconds_bucket[$__rate_interval])))", "p99 {{kind}}")],
      },
      {
        title: "Reconciles by result",
        description: "Reconciles per second by kind and result (ok, retry, error).",
        kind: "timeseries",
        unit: "ops",
        queries: [q("sum by (kind, result) (rate(cpuid_reconcile_duration_seconds_count[$__rate_interval]))", "{{kind}} {{result}}")],
      },
      {
        title: "Work queue depth",
        description: "Keys waiting in the leader's work queue (CpuidWorkqueueBacklog above 1000).",
        kind: "timeseries",
        queries: [q("max(cpuid_workqueue_depth)", "depth")],
      },
      {
        title: "Leader",
        description: "1 on the replica holding the leader Lease (CpuidNoLeader when none does).",
        kind: "timeseries",
        queries: [q("cpuid_controller_leader", "{{instance}}")],
      },
      {
        title: "Controller NATS connection",
        description: "1 while a replica is connected to NATS (CpuidControllerNatsDisconnected), and its reconnections.",
        kind: "timeseries",
        queries: [
          q("cpuid_controller_nats_connected", "connected {{instance}}"),
          q("increase(cpuid_controller_nats_reconnects_total[$__rate_interval])", "reconnects {{instance}}"),
        ],
      },
    ],
  },
  {
    title: "Agents",
    panels: [
      {
        title: "Agents disconnected from NATS",
        description: "Agents that run but cannot reach NATS (CpuidAgentNatsDisconnected).",
        kind: "stat",
        queries: [q('count(max by (host) (cpuid_agent_nats_connected{host=~"$host"}) == 0) or vector(0)', "disconnected")],
      },
      {
        title: "Agent NATS connection",
        description: "1 while each agent is connected to NATS, and its reconnections.",
        kind: "timeseries",
        queries: [
          q('max by (host) (cpuid_agent_nats_connected{host=~"$host"})', "connected {{host}}"),
          q('sum by (host) (increase(cpuid_agent_nats_reconnects_total{host=~"$host"}[$__rate_interval]))', "reconnects {{host}}"),
        ],
      },
      {
        title: "Agent requests by result",
        description: "Requests the agents handled per second, by operation and result.",
        kind: "timeseries",
        unit: "ops",
        queries: [q('sum by (op, result) (rate(cpuid_agent_requests_total{host=~"$host"}[$__rate_interval]))', "{{op}} {{result}}")],
      },
    ],
  },
  {
    title: "Pools and migration",
    panels: [
      {
        title: "Pool members",
        description: "Hosts admitted to each CpuidPool.",
        kind: "timeseries",
        queries: [q("max by (pool) (cpuid_pool_members)", "{{pool}}")],
      },
      {
        title: "Incompatible hosts",
        description: "Hosts a pool selects but does not admit: they lack features of its pinned level (CpuidPoolIncompatibleHosts).",
        kind: "timeseries",
        queries: [q("max by (pool) (cpuid_pool_incompatible_hosts)", "{{pool}}")],
      },
      {
        title: "Pool level changes",
        description: "Level changes per interval: an Automatic pool following its members, or a confirmed relevel (CpuidPoolLevelChanged).",
        kind: "timeseries",
        queries: [q("sum by (pool) (increase(cpuid_pool_level_changes_total[$__rate_interval]))", "{{pool}}")],
      },
      {
        title: "Unmigratable policies",
        description: "DomainCpuidPolicies whose effective policy no other published host accepts.",
        kind: "stat",
        queries: [q("max(cpuid_domain_policies_unmigratable)", "unmigratable")],
      },
    ],
  },
  {
    title: "Rollouts",
    panels: [
      {
        title: "Halted rollouts",
        description: "CpuidRollouts that stopped starting waves: too many failures, or their change edited after planning (CpuidRolloutHalted).",
        kind: "stat",
        queries: [q("count(max by (rollout) (cpuid_rollout_halted) == 1) or vector(0)", "halted")],
      },
      {
        title: "Rollout wave",
        description: "The wave each CpuidRollout is at, and how many its plan has.",
        kind: "timeseries",
        queries: [q("max by (rollout) (cpuid_rollout_wave)", "wave {{rollout}}"), q("max by (rollout) (cpuid_rollout_waves)", "of {{rollout}}")],
      },
      {
        title: "Rollout policies by outcome",
        description: "Planned DomainCpuidPolicies of each rollout: applied and staged are done; failed count against maxFailures.",
        kind: "timeseries",
        queries: [q("max by (rollout, outcome) (cpuid_rollout_policies)", "{{rollout}} {{outcome}}")],
      },
      {
        title: "Rollout done",
        description: "Share of each rollout's planned policies that are done (applied or staged).",
        kind: "timeseries",
        unit: "percentunit",
        queries: [
          q(
            'sum by (rollout) (max by (rollout, outcome) (cpuid_rollout_policies{outcome=~"applied|staged"})) / clamp_min(sum by (rollout) (max by (rollout, outcome) (cpuid_rollout_policies)), 1)',
            "{{rollout}}",
          ),
        ],
      },
    ],
  },
];

/** the host filter: every agent metric carries the host label */
const HOST_VARIABLE_QUERY = "label_values(cpuid_agent_nats_connected, host)";

function panelJson(panel: Panel, id: number, x: number, y: number): object {
  return {
    id,
    type: panel.kind,
    title: panel.title,
    description: panel.description,
    datasource: DATASOURCE,
    gridPos: { h: PANEL_HEIGHT, w: PANEL_WIDTH, x, y },
    fieldConfig: { defaults: { unit: panel.unit ?? "short" }, overrides: [] },
    options: panel.kind === "stat" ? { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, colorMode: "value" } : { legend: { displayMode: "list", placement: "bottom" }, tooltip: { mode: "multi" } },
    targets: panel.queries.map((query, i) => ({ datasource: DATASOURCE, expr: query.expr, legendFormat: query.legend, refId: String.fromCharCode(65 + i) })),
  };
}

/** Grafana's dashboard JSON: a row per section, its panels laid out below it */
export function dashboard(): object {
  const panels: object[] = [];
  let id = 1;
  let y = 0;
  for (const section of SECTIONS) {
    panels.push({ id: id++, type: "row", title: section.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    section.panels.forEach((panel, i) => {
      panels.push(panelJson(panel, id++, (i % PANELS_PER_ROW) * PANEL_WIDTH, y + Math.floor(i / PANELS_PER_ROW) * PANEL_HEIGHT));
    });
    y += Math.ceil(section.panels.length / PANELS_PER_ROW) * PANEL_HEIGHT;
  }
  return {
    uid: "cpuid-fleet",
    title: "cpuid-fleet",
    description: "Hosts, DomainCpuidPolicies, the controller and the agents of cpuid-fleet. Alerts: deploy/prometheus; runbooks: docs/runbooks.md.",
    tags: ["cpuid-fleet"],
    editable: true,
    schemaVersion: 39,
    version: 1,
    refresh: "1m",
    time: { from: "now-6h", to: "now" },
    timezone: "browser",
    links: [],
    annotations: { list: [] },
    templating: {
      list: [
        { name: "datasource", label: "Data source", type: "datasource", query: "prometheus", current: {}, hide: 0 },
        {
          name: "host",
          label: "Host",
          type: "query",
          datasource: DATASOURCE,
          definition: HOST_VARIABLE_QUERY,
          query: { query: HOST_VARIABLE_QUERY, refId: "host" },
          refresh: 2,
          includeAll: true,
          multi: true,
          allValue: ".*",
          current: { text: "All", value: "$__all" },
          sort: 1,
          hide: 0,
        },
      ],
    },
    panels,
  };
}

export function renderDashboard(): string {
  return `${JSON.stringify(dashboard(), null, 2)}\n`;
}
