// cpuid-fleet-agent: the per-host daemon (see agent.ts). Exit codes: 0 after a
// clean SIGTERM/SIGINT drain, 2 for bad configuration (including a missing or
// group/world-readable seed and missing Xen tools, see preflight.ts), 1 when
// startup fails.

import { runDaemon } from "../runtime/daemon-main.ts";
import { Agent } from "./agent.ts";
import { loadConfig, USAGE } from "./config.ts";
import { agentPreflight } from "./preflight.ts";

await runDaemon({
  name: "cpuid-fleet-agent",
  usage: USAGE,
  loadSettings: loadConfig,
  preflight: agentPreflight,
  logFields: (config) => ({ host: config.hostId }),
  start: (config, log) => Agent.start(config, log),
});
