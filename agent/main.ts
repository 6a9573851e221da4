// cpuid-fleet-agent: the per-host daemon (see agent.ts). Exit codes: 0 after a
// clean SIGTERM/SIGINT drain, 2 for bad configuration, 1 when startup fails.

import pino from "pino";
import { Agent } from "./agent.ts";
import { ConfigError, loadConfig, USAGE, type AgentConfig } from "./config.ts";

const argv = process.argv.slice(2);
if (argv.includes("--help") || argv.includes("-h")) {
  console.log(USAGE);
  process.exit(0);
}

let config: AgentConfig;
try {
  config = loadConfig(argv, process.env);
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  console.error(`cpuid-fleet-agent: ${e.message}`);
  process.exit(2);
}

const log = pino({ level: config.logLevel, base: { component: "cpuid-fleet-agent", host: config.hostId } });

let agent: Agent;
try {
  agent = await Agent.start(config, log);
} catch (err) {
  log.fatal({ err }, "agent failed to start");
  process.exit(1);
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    log.info({ signal }, "draining");
    agent.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, "drain failed");
        process.exit(1);
      },
    );
  });
}
