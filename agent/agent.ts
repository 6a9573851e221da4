// The running agent: probe → publish → serve, with periodic re-probes and
// heartbeats, re-publication after every reconnect, and an orderly drain.

import type { Server } from "node:http";
import { setImmediate } from "node:timers/promises";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { auditPolicy } from "../shared/audit/audit.ts";
import { findingToJson } from "../shared/audit/finding.ts";
import type { DomainState } from "../shared/schemas/agent-messages.ts";
import type { GuestType } from "../shared/schemas/guest.ts";
import type { HostPolicies } from "../shared/schemas/host-policies.ts";
import { policyToJson } from "../shared/policy/policy-json.ts";
import { serialisePolicy } from "../shared/policy/serialise.ts";
import type { Backend } from "./backends/backend.ts";
import { SimBackend } from "./backends/sim.ts";
import { XenBackend } from "./backends/xen.ts";
import type { AgentConfig } from "./config.ts";
import { credentialsError, describeIdentity, type CredentialsError } from "./credentials.ts";
import type { GuestMax, HandlerContext } from "./handlers.ts";
import { buildHostPolicies } from "./host-policies.ts";
import { closeHttpServer, startHttp } from "../runtime/http-endpoints.ts";
import { createAgentMetrics, type AgentMetrics } from "./metrics.ts";
import { connectNats } from "../runtime/nats/connect.ts";
import { usesTls } from "../runtime/nats/tls.ts";
import { daemonConnectionOptions, logConnectRetries } from "../runtime/nats/daemon-connection.ts";
import { reconnectBackoff, reconnectDelayMs } from "../runtime/nats/reconnect-backoff.ts";
import { FileProbe } from "./probes/file.ts";
import { LinuxProbe } from "./probes/linux.ts";
import type { Probe, ProbeResult } from "./probes/probe.ts";
import { XenProbe } from "./probes/xen.ts";
import { Publisher } from "./publisher.ts";
import { RequestServer } from "./request-server.ts";
import { startSimAdmin } from "./sim-admin.ts";

function createProbe(c: AgentConfig): Probe {
  switch (c.probe) {
    case "linux":
      return new LinuxProbe(c.cpu, c.cpuinfoPath, c.xenRelease);
    case "xen":
      return new XenProbe(c.xenCpuidPath, c.xlPath, c.cpuinfoPath);
    case "file":
      return new FileProbe(c.probeFile!, c.xenRelease);
  }
}

interface Current {
  result: ProbeResult;
  published: HostPolicies;
}

export class Agent {
  readonly config: AgentConfig;
  readonly metrics: AgentMetrics;
  readonly #log: Logger;
  readonly #probe: Probe;
  #current!: Current;
  #backend!: Backend;
  #nc!: NatsConnection;
  #publisher!: Publisher;
  #requests!: RequestServer;
  #http!: Server;
  #simAdmin: Server | undefined;
  #timers: NodeJS.Timeout[] = [];
  #stopping: Promise<void> | undefined;
  #connected = false;
  /** why the last attempt at the first connection failed */
  #connectError: string | undefined;
  /** the server refused one of this host's own subjects: the credentials are wrong */
  #denied: CredentialsError | undefined;
  #identity = "";
  httpPort = 0;

  private constructor(config: AgentConfig, log: Logger) {
    this.config = config;
    this.#log = log;
    this.metrics = createAgentMetrics(config.hostId);
    this.#probe = createProbe(config);
  }

  static async start(config: AgentConfig, log: Logger): Promise<Agent> {
    const agent = new Agent(config, log);
    await agent.#start();
    return agent;
  }

  async #start(): Promise<void> {
    const c = this.config;
    const result = await this.#runProbe();
    this.#current = { result, published: this.#hostPolicies(result) };
    this.#backend = this.#createBackend();

    const http = await startHttp(c.metricsListen.host, c.metricsListen.port, {
      register: this.metrics.register,
      notReadyReason: () => this.#notReadyReason(),
    });
    this.#http = http.server;
    this.httpPort = http.port;
    if (this.#backend instanceof SimBackend) {
      this.#simAdmin = await startSimAdmin(c.stateDir, this.#backend, this.#log, (domain) => void this.#domainChanged(domain), this.#handlerContext());
    }

    const backoff = reconnectBackoff();
    this.#identity = describeIdentity(c.natsSeedFile);
    const retryLog = logConnectRetries(this.#log);
    const tls = { caFile: c.natsCaFile, certFile: c.natsCertFile, keyFile: c.natsKeyFile };
    this.#log.info({ servers: c.natsServers, tls: usesTls(tls) }, "connecting to NATS");
    try {
      this.#nc = await connectNats({
        servers: c.natsServers,
        name: `cpuid-fleet-agent/${c.hostId}`,
        hostId: c.hostId,
        seedFile: c.natsSeedFile,
        tls,
        options: { ...daemonConnectionOptions(backoff.next), pingInterval: 10_000, maxPingOut: 3 },
        retryDelayMs: reconnectDelayMs,
        onRetry: (retry) => {
          this.#connectError = retry.reason;
          retryLog(retry);
        },
      });
    } catch (err) {
      await this.#closeServers();
      throw credentialsError(err, c.hostId, this.#identity) ?? err;
    }
    this.#connected = true;
    this.#connectError = undefined;
    this.metrics.natsConnected.set(1);
    this.#log.info({ server: this.#nc.getServer() }, "connected to NATS");
    // nats.js drew on the reconnect delays while connecting: the first reconnect starts afresh
    backoff.reset();
    void this.#watchConnection(backoff);

    this.#publisher = new Publisher(this.#nc, c.hostId, this.metrics, this.#log);
    this.#requests = new RequestServer(this.#handlerContext(), this.metrics, this.#log);
    this.#requests.listen(this.#nc);
    await this.#publisher.publish(this.#current.published);
    // the server answers a refused subscribe or publish before this PONG; a
    // macrotask later the status loop has seen it
    await this.#nc.flush();
    await setImmediate();
    if (this.#denied) {
      await this.stop();
      throw this.#denied;
    }
    this.#heartbeat();

    this.#timers.push(setInterval(() => this.#heartbeat(), c.heartbeatIntervalSeconds * 1000));
    this.#timers.push(setInterval(() => void this.reprobe(), c.reprobeIntervalSeconds * 1000));
    this.#log.info({ hostId: c.hostId, probe: c.probe, backend: c.backend, metricsPort: this.httpPort, digest: this.#current.published.fingerprint.digest }, "agent started");
  }

  #hostPolicies(result: ProbeResult): HostPolicies {
    return { ...buildHostPolicies(this.config.hostId, result), heartbeatIntervalSeconds: this.config.heartbeatIntervalSeconds, ...(Object.keys(this.config.labels).length ? { labels: this.config.labels } : {}) };
  }

  #createBackend(): Backend {
    const c = this.config;
    const defaultPolicy = (g: GuestType) => {
      const p = this.#current.result.policies[g === "hvm" ? "hvm_default" : "pv_default"];
      return { hash: this.#current.published.hashes[g === "hvm" ? "hvm_default" : "pv_default"], policy: policyToJson(serialisePolicy(p)) };
    };
    if (c.backend === "sim") return new SimBackend(c.stateDir, defaultPolicy);
    return new XenBackend({
      stateDir: c.stateDir,
      xl: c.xlPath,
      xenCpuid: c.xenCpuidPath,
      pollIntervalMs: c.xenPollIntervalSeconds * 1000,
      xenstoreWatch: c.xenstoreWatchPath,
      defaultPolicy: (g) => this.#current.result.policies[g === "hvm" ? "hvm_default" : "pv_default"],
      onDomainChange: (domain) => void this.#domainChanged(domain),
      log: this.#log,
      metrics: this.metrics,
    });
  }

  #handlerContext(): HandlerContext {
    return {
      hostId: this.config.hostId,
      backend: this.#backend,
      guestMax: (g: GuestType): GuestMax => {
        const name = g === "hvm" ? "hvm_max" : "pv_max";
        return { policy: this.#current.result.policies[name], hash: this.#current.published.hashes[name] };
      },
      audit: (requested, max, guest) => auditPolicy(requested, max, { guest }).map(findingToJson),
    };
  }

  async #runProbe(): Promise<ProbeResult> {
    try {
      const result = await this.#probe.run();
      this.metrics.probes.inc({ result: "ok" });
      this.metrics.lastProbe.set(Date.now() / 1000);
      return result;
    } catch (e) {
      this.metrics.probes.inc({ result: "error" });
      throw e;
    }
  }

  /** Probe again; publish the new policies when the fingerprint (policies, Xen version, command line, microcode) changed. */
  async reprobe(): Promise<void> {
    let result: ProbeResult;
    try {
      result = await this.#runProbe();
    } catch (err) {
      this.#log.error({ err: (err as Error).message }, "re-probe failed; keeping the last published policies");
      return;
    }
    const next = this.#hostPolicies(result);
    if (next.fingerprint.digest === this.#current.published.fingerprint.digest) {
      // Unchanged: refresh the entry so its age tells readers of the bucket the host is alive.
      await this.#publisher.republish();
      return;
    }
    this.#log.warn({ from: this.#current.published.fingerprint.digest, to: next.fingerprint.digest }, "host fingerprint changed; re-publishing");
    this.#current = { result, published: next };
    await this.#publisher.publish(next);
  }

  /** Publishes a heartbeat and updates the domain gauge; a closing connection only skips the beat. */
  #heartbeat(): void {
    if (this.#nc.isClosed()) return;
    void this.#countDomains()
      .then((counts) =>
        this.#publisher.heartbeat({
          hostId: this.config.hostId,
          digest: this.#current.published.fingerprint.digest,
          at: new Date().toISOString(),
          domains: counts.paused + counts.running + counts.shutdown,
        }),
      )
      .catch((err: Error) => this.#log.warn({ err: err.message }, "heartbeat not sent"));
  }

  /** A domain was created, started, stopped or destroyed: update the gauge and tell the controller. */
  async #domainChanged(domain: string): Promise<void> {
    try {
      await this.#countDomains();
      const d = await this.#backend.domain(domain);
      if (this.#publisher && !this.#nc.isClosed()) {
        this.#publisher.domainEvent({ hostId: this.config.hostId, domain, state: d?.state ?? "absent", at: new Date().toISOString() });
      }
    } catch (err) {
      this.#log.warn({ domain, err: (err as Error).message }, "domain event not sent");
    }
  }

  async #countDomains(): Promise<Record<DomainState, number>> {
    const counts = { absent: 0, paused: 0, running: 0, shutdown: 0 };
    for (const d of await this.#backend.domains()) counts[d.state]++;
    for (const [state, n] of Object.entries(counts)) this.metrics.domains.set({ state }, n);
    return counts;
  }

  async #watchConnection(backoff: { reset: () => void }): Promise<void> {
    for await (const s of this.#nc.status()) {
      switch (s.type) {
        case "disconnect":
          this.#connected = false;
          this.metrics.natsConnected.set(0);
          this.#log.warn({ server: s.server }, "disconnected from NATS; reconnecting");
          break;
        case "reconnect":
          backoff.reset();
          // permissions are checked afresh on the new connection (the server's may have been fixed)
          this.#denied = undefined;
          this.#connected = true;
          this.metrics.natsConnected.set(1);
          this.metrics.reconnects.inc();
          this.#log.info({ server: s.server }, "reconnected to NATS; re-publishing");
          void this.#publisher.republish();
          this.#heartbeat();
          break;
        case "error": {
          const denied = this.#denied ? undefined : credentialsError(s.error, this.config.hostId, this.#identity);
          if (denied) this.#log.error({ err: denied.message }, "NATS refuses this host's identity; not ready");
          else this.#log.error({ err: s.error.message }, "NATS error");
          this.#denied ??= denied;
          break;
        }
      }
    }
  }

  #notReadyReason(): string | undefined {
    if (this.#denied) return this.#denied.message;
    if (!this.#nc || this.#nc.isClosed() || !this.#connected) return `not connected to NATS${this.#connectError ? ` (last attempt: ${this.#connectError})` : ""}`;
    if (!this.#publisher?.published) return "host policies not yet published";
    if (!this.#requests?.listening) return "not subscribed to requests";
    return undefined;
  }

  async #closeServers(): Promise<void> {
    await Promise.all([this.#http, this.#simAdmin].filter((s) => s !== undefined).map(closeHttpServer));
  }

  /** SIGTERM: stop taking requests, answer those in flight, flush, close. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const t of this.#timers) clearInterval(t);
      await this.#requests.drain();
      await this.#publisher.close();
      await this.#nc.drain().catch(() => undefined);
      await this.#backend.close();
      await this.#closeServers();
      this.#log.info("agent stopped");
    })();
    return this.#stopping;
  }
}
