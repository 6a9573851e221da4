// toxiproxy-server between the daemons and their servers (NATS, the
// kube-apiserver), driven over its HTTP API: proxies, toxics (latency,
// bandwidth, reset_peer, timeout) and disabling a proxy, which drops its
// connections and refuses new ones until enabled again.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { freePorts, LOOPBACK } from "./plane/ports.ts";
import { startProcess, stopProcess } from "./plane/managed-process.ts";
import { waitUntilReady } from "./plane/readiness.ts";

export type ToxicStream = "upstream" | "downstream";

/** The toxics the fault tests use, with toxiproxy's attribute names. */
export type ToxicSpec =
  | { type: "latency"; attributes: { latency: number; jitter?: number } }
  | { type: "bandwidth"; attributes: { rate: number } }
  | { type: "reset_peer"; attributes: { timeout: number } }
  | { type: "timeout"; attributes: { timeout: number } };

export interface Toxic {
  name: string;
  stream?: ToxicStream;
  /** fraction of connections it applies to, 0..1 (default 1) */
  toxicity?: number;
  spec: ToxicSpec;
}

export interface Proxy {
  name: string;
  /** host:port clients connect to */
  listen: string;
  /** host:port it forwards to */
  upstream: string;
}

export class Toxiproxy {
  readonly apiUrl: string;
  readonly logFile: string;
  readonly #pid: number;

  private constructor(apiUrl: string, pid: number, logFile: string) {
    this.apiUrl = apiUrl;
    this.#pid = pid;
    this.logFile = logFile;
  }

  static async start(binary: string): Promise<Toxiproxy> {
    const [port] = await freePorts(1);
    const logFile = join(mkdtempSync(join(tmpdir(), "toxiproxy-")), "toxiproxy.log");
    const child = startProcess({ name: "toxiproxy-server", command: binary, args: ["-host", LOOPBACK, "-port", String(port)], logFile });
    const proxy = new Toxiproxy(`http://${LOOPBACK}:${port}`, child.pid!, logFile);
    await waitUntilReady({
      what: "toxiproxy-server",
      pid: child.pid!,
      logFile,
      timeoutMs: 15_000,
      probe: async () => (await fetch(`${proxy.apiUrl}/version`)).ok,
    });
    return proxy;
  }

  /** A proxy on a free loopback port forwarding to `upstream` (host:port). */
  async createProxy(name: string, upstream: string): Promise<Proxy> {
    const [port] = await freePorts(1);
    const listen = `${LOOPBACK}:${port}`;
    await this.#call("POST", "/proxies", { name, listen, upstream, enabled: true });
    return { name, listen, upstream };
  }

  async addToxic(proxy: string, toxic: Toxic): Promise<void> {
    await this.#call("POST", `/proxies/${proxy}/toxics`, {
      name: toxic.name,
      type: toxic.spec.type,
      stream: toxic.stream ?? "downstream",
      toxicity: toxic.toxicity ?? 1,
      attributes: toxic.spec.attributes,
    });
  }

  async removeToxic(proxy: string, name: string): Promise<void> {
    await this.#call("DELETE", `/proxies/${proxy}/toxics/${name}`);
  }

  /** Disabled, a proxy closes every connection through it and refuses new ones. */
  async setEnabled(proxy: string, enabled: boolean): Promise<void> {
    await this.#call("POST", `/proxies/${proxy}`, { enabled });
  }

  /** Every proxy enabled again, without toxics. */
  async reset(): Promise<void> {
    await this.#call("POST", "/reset");
  }

  async stop(): Promise<void> {
    await stopProcess(this.#pid);
  }

  async #call(method: string, path: string, body?: unknown): Promise<void> {
    const r = await fetch(`${this.apiUrl}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    });
    if (!r.ok) throw new Error(`toxiproxy ${method} ${path}: HTTP ${r.status} ${await r.text()}`);
  }
}

/** host:port of a URL such as nats://127.0.0.1:4222 or https://127.0.0.1:6443. */
export function hostPort(url: string): string {
  return new URL(url).host;
}

/** A copy of `kubeconfig` (next to it) whose servers are the proxy at `listen`: the apiserver's certificate names 127.0.0.1, any port. */
export function proxiedKubeconfig(kubeconfig: string, listen: string): string {
  const config = parse(readFileSync(kubeconfig, "utf8")) as { clusters: { cluster: { server: string } }[] };
  for (const c of config.clusters) c.cluster.server = `https://${listen}`;
  const path = `${kubeconfig}.proxied-${listen.replace(/[^0-9]/g, "-")}`;
  writeFileSync(path, stringify(config), { mode: 0o600 });
  return path;
}
