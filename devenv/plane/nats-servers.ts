// Local nats-servers outside a control plane: one server, or a JetStream
// cluster of three on loopback with routes between them, each with its own
// store directory; the fleet's nkey authorization, and optionally TLS with
// a development PKI (mutual TLS: every client presents a certificate). The
// tests of TLS, per-host permissions and cluster failover run on these.
//
//   const nats = await LocalNats.start({ binary, servers: 3, hosts: ["host-a"], tls: true });
//   nats.url                         every client URL, comma-separated
//   await nats.connectAs("admin")    a client with the identity's nkey (and certificate)
//   await nats.stopServer(1); await nats.startServer(1);
//   await nats.stop();
//
//   <dir>/creds/        nkey seeds (shared/nats/credentials-layout.ts)
//   <dir>/tls/          CA and certificates (shared/nats/tls-layout.ts), with tls
//   <dir>/n<i>/nats.conf, n<i>/jetstream/, n<i>/nats.log

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { NatsConnection } from "@nats-io/transport-node";
import { renderAuthorization } from "../../shared/nats/authorization.ts";
import { connectAs, type NatsIdentity } from "../../runtime/nats/connect.ts";
import { ensureFleetCertificates } from "../../runtime/nats/dev-certificates.ts";
import { createHostsBucket } from "../../runtime/nats/hosts-bucket.ts";
import { ensureFleetIdentities } from "../../runtime/nats/identities.ts";
import { killProcessGroupNow, startProcess, stopProcess } from "./managed-process.ts";
import { renderNatsServerConfig } from "./nats-server-config.ts";
import { freePorts, LOOPBACK } from "./ports.ts";
import { httpGet, waitUntilReady } from "./readiness.ts";
import { isProcessAlive } from "../toolchain/process-liveness.ts";

export interface LocalNatsOptions {
  /** the nats-server binary */
  binary: string;
  /** 1 (default) or 3 (a JetStream cluster) */
  servers?: 1 | 3;
  /** host ids that get an nkey (and a client certificate) */
  hosts: readonly string[];
  /** TLS required on the client and route ports, with mutual TLS */
  tls?: boolean;
  /** default: a new temp dir, removed on stop */
  dir?: string;
  /** the servers' authorization timeout (default nats-server's 2 s) */
  authTimeoutSeconds?: number;
}

interface ServerPorts {
  client: number;
  monitor: number;
  route: number;
}

const START_TIMEOUT_MS = 30_000;

export class LocalNats {
  readonly dir: string;
  readonly credsDir: string;
  /** set when TLS is on */
  readonly tlsDir: string | undefined;
  readonly #binary: string;
  readonly #ports: ServerPorts[];
  readonly #pids: (number | undefined)[];
  readonly #ownsDir: boolean;

  private constructor(options: LocalNatsOptions, ports: ServerPorts[]) {
    this.#ownsDir = options.dir === undefined;
    this.dir = options.dir ?? mkdtempSync(join(tmpdir(), "cpuid-fleet-nats-"));
    this.credsDir = join(this.dir, "creds");
    this.tlsDir = options.tls ? join(this.dir, "tls") : undefined;
    this.#binary = options.binary;
    this.#ports = ports;
    this.#pids = ports.map(() => undefined);
  }

  static async start(options: LocalNatsOptions): Promise<LocalNats> {
    const count = options.servers ?? 1;
    const ports = await freePorts(3 * count);
    const nats = new LocalNats(options, Array.from({ length: count }, (_, i) => ({ client: ports[3 * i], monitor: ports[3 * i + 1], route: ports[3 * i + 2] })));
    try {
      nats.#writeConfigs(options.hosts, options.authTimeoutSeconds);
      await Promise.all(nats.#ports.map((_, i) => nats.startServer(i)));
    } catch (err) {
      await nats.stop();
      throw err;
    }
    return nats;
  }

  get size(): number {
    return this.#ports.length;
  }

  /** Client URL of server `i`. */
  serverUrl(i: number): string {
    return `${this.tlsDir ? "tls" : "nats"}://${LOOPBACK}:${this.#ports[i].client}`;
  }

  /** Every server's client URL, comma-separated (what --nats-url takes). */
  get url(): string {
    return this.#ports.map((_, i) => this.serverUrl(i)).join(",");
  }

  monitorUrl(i: number): string {
    return `http://${LOOPBACK}:${this.#ports[i].monitor}`;
  }

  logFile(i: number): string {
    return join(this.dir, `n${i}`, "nats.log");
  }

  isRunning(i: number): boolean {
    const pid = this.#pids[i];
    return pid !== undefined && isProcessAlive(pid);
  }

  connectAs(identity: NatsIdentity, url = this.url): Promise<NatsConnection> {
    return connectAs(url, this.credsDir, identity, this.tlsDir ? { tlsDir: this.tlsDir } : {});
  }

  /** Starts server `i` with its previous ports and store; waits until JetStream is healthy. */
  async startServer(i: number): Promise<void> {
    if (this.isRunning(i)) throw new Error(`nats-server ${i} is already running`);
    const pid = startProcess({ name: `nats-server ${i}`, command: this.#binary, args: ["-c", join(this.dir, `n${i}`, "nats.conf")], logFile: this.logFile(i) }).pid!;
    this.#pids[i] = pid;
    await waitUntilReady({
      what: `nats-server ${i}`,
      pid,
      logFile: this.logFile(i),
      timeoutMs: START_TIMEOUT_MS,
      probe: async () => (await httpGet(`${this.monitorUrl(i)}/healthz?js-enabled-only=true`)).status === 200,
    });
  }

  /** Stops server `i` (SIGTERM, then SIGKILL); its store stays. `kill` sends SIGKILL at once, as a crash. */
  async stopServer(i: number, { kill = false } = {}): Promise<void> {
    const pid = this.#pids[i];
    if (pid !== undefined && kill) killProcessGroupNow(pid);
    if (pid !== undefined) await stopProcess(pid);
    this.#pids[i] = undefined;
  }

  /**
   * Creates the `cpuid-hosts` bucket as admin with `replicas` copies; retried
   * while a new cluster still elects its JetStream meta leader.
   */
  async createHostsBucket(replicas = this.size): Promise<void> {
    const admin = await this.connectAs("admin");
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await createHostsBucket(admin, replicas);
          return;
        } catch (err) {
          if (attempt >= 50) throw err;
          await sleep(200);
        }
      }
    } finally {
      await admin.close();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.#ports.map((_, i) => this.stopServer(i)));
    if (this.#ownsDir && process.env.KEEP_TEST_DIRS !== "1") rmSync(this.dir, { recursive: true, force: true });
  }

  #writeConfigs(hosts: readonly string[], authTimeoutSeconds: number | undefined): void {
    const authorization = renderAuthorization(ensureFleetIdentities(this.credsDir, hosts), authTimeoutSeconds);
    const certs = this.tlsDir ? ensureFleetCertificates(this.tlsDir, hosts, [LOOPBACK, "localhost"]) : undefined;
    const tls = certs && { certFile: certs.server.cert, keyFile: certs.server.key, caFile: certs.ca.cert, verify: true };
    this.#ports.forEach((ports, i) => {
      const nodeDir = join(this.dir, `n${i}`);
      mkdirSync(nodeDir, { recursive: true });
      const others = this.#ports.filter((_, j) => j !== i).map((p) => p.route);
      const config = renderNatsServerConfig({
        serverName: `cpuid-fleet-n${i}`,
        port: ports.client,
        monitorPort: ports.monitor,
        storeDir: join(nodeDir, "jetstream"),
        authorization,
        ...(this.size > 1 ? { cluster: { name: "cpuid-fleet-local", port: ports.route, routePorts: others } } : {}),
        ...(tls ? { tls } : {}),
      });
      writeFileSync(join(nodeDir, "nats.conf"), config);
    });
  }
}
