// cpuid-fleet-controller: the controller daemon (see start-controller.ts).
// Exit codes: 0 after a clean SIGTERM/SIGINT shutdown (the lease is
// released, so the other replica takes over at once), 2 for bad
// configuration, 1 when startup fails.

import { pino } from "pino";
import { ConfigError, loadOptions, USAGE, type ControllerOptions } from "./config.ts";
import { startController, type RunningController } from "./start-controller.ts";

const argv = process.argv.slice(2);
if (argv.includes("--help") || argv.includes("-h")) {
  console.log(USAGE);
  process.exit(0);
}

let options: ControllerOptions;
try {
  options = loadOptions(argv, process.env);
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  console.error(`cpuid-fleet-controller: ${e.message}`);
  process.exit(2);
}

const log = pino({ level: options.logLevel, base: { component: "cpuid-fleet-controller" } });

let controller: RunningController;
try {
  controller = await startController(options, log);
} catch (err) {
  log.fatal({ err }, "controller failed to start");
  process.exit(1);
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    log.info({ signal }, "shutting down");
    controller.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  });
}
