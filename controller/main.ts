// cpuid-fleet-controller: the controller daemon (see start-controller.ts).
// Exit codes: 0 after a clean SIGTERM/SIGINT shutdown (the lease is
// released, so the other replica takes over at once), 2 for bad
// configuration (including a missing or unreadable seed file), 1 when startup fails.

import { runDaemon } from "../runtime/daemon-main.ts";
import { controllerPreflight, loadOptions, USAGE } from "./config.ts";
import { startController } from "./start-controller.ts";

await runDaemon({
  name: "cpuid-fleet-controller",
  usage: USAGE,
  loadSettings: loadOptions,
  preflight: controllerPreflight,
  start: (options, log) => startController(options, log),
});
