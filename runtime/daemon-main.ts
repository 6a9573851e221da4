// The life of a daemon process: --help, settings and the host checks they
// imply (exit 2 when either fails, so that systemd's RestartPreventExitStatus=2
// and Kubernetes' CrashLoopBackOff show the message instead of retrying), a JSON
// logger, start (exit 1 when it fails), and on SIGTERM/SIGINT a clean stop
// (exit 0) or exit 1 when stopping fails.

import { pino, type Logger } from "pino";
import { ConfigError } from "./settings.ts";

export interface DaemonSpec<C extends { logLevel: string }> {
  /** process name, used in messages and as the logs' component */
  name: string;
  usage: string;
  loadSettings(argv: readonly string[], env: NodeJS.ProcessEnv): C;
  /** checks the files and tools the settings name; throws ConfigError */
  preflight?(settings: NoInfer<C>): void;
  /** extra fields on every log line */
  logFields?(settings: C): Record<string, unknown>;
  start(settings: C, log: Logger): Promise<{ stop(): Promise<void> }>;
}

export async function runDaemon<C extends { logLevel: string }>(spec: DaemonSpec<C>): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(spec.usage);
    process.exit(0);
  }

  let settings: C;
  try {
    settings = spec.loadSettings(argv, process.env);
    spec.preflight?.(settings);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(`${spec.name}: ${e.message}`);
    process.exit(2);
  }

  const log = pino({ level: settings.logLevel, base: { component: spec.name, ...spec.logFields?.(settings) } });

  let running: { stop(): Promise<void> };
  try {
    running = await spec.start(settings, log);
  } catch (err) {
    log.fatal({ err }, `${spec.name} failed to start`);
    process.exit(1);
  }

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      log.info({ signal }, "stopping");
      running.stop().then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, "stop failed");
          process.exit(1);
        },
      );
    });
  }
}
