// JSON requests to the apiserver for the controller's writes, straight over
// node:http2 (./apiserver-http2.ts) or node:https. client-node 1.4's generated
// clients cost ~0.7 ms of CPU per request (a request context and middleware
// chain, ObjectSerializer, node-fetch, and re-reading the kubeconfig's
// certificate files every time); this costs about half over HTTP/1.1 and a
// third of that over HTTP/2 (BENCHMARKS.md, "Controller at fleet scale" and
// "HTTP/2 for the controller's writes"), and a DomainCpuidPolicy costs the
// controller one such write.
//
// The connection settings come from client-node itself (the kubeconfig's TLS
// settings, its authenticators, the shared keep-alive pool of
// ./kube-config.ts or a proxy agent), taken afresh every 10 s and after a 401
// so that rotating tokens are followed. A direct TLS connection uses HTTP/2
// with the pool's TLS settings; a proxy, plain HTTP, or a server that refuses
// HTTP/2 get HTTP/1.1 over the pool. Errors carry the HTTP status as `code`,
// and `body` and `headers`, as client-node's ApiException does:
// httpStatusOf() and the ApiserverThrottle read both alike.

import { constants, type SecureClientSessionOptions } from "node:http2";
import { Agent, request as httpsRequest, type RequestOptions } from "node:https";
import { HttpMethod, RequestContext, type KubeConfig } from "@kubernetes/client-node";
import { ApiserverHttp2, DEFAULT_LIVENESS, NotHttp2Error, type Http2Liveness, type RawAnswer } from "./apiserver-http2.ts";

const SETTINGS_TTL_MS = 10_000;
/** the apiserver answers a non-watch request within its own --request-timeout (60 s by default) */
const REQUEST_TIMEOUT_MS = 70_000;

export type KubeMethod = "POST" | "PATCH" | "DELETE";

export class KubeRequestError extends Error {
  override name = "KubeRequestError";
  readonly code: number;
  readonly body: unknown;
  readonly headers: Record<string, string>;

  constructor(message: string, code: number, body: unknown, headers: Record<string, string>) {
    super(message);
    this.code = code;
    this.body = body;
    this.headers = headers;
  }
}

interface ConnectionSettings {
  agent: Agent | undefined;
  /** lower-case names, as HTTP/2 has them */
  headers: Record<string, string>;
  /** the agent's TLS settings when the apiserver is reached directly over TLS (no proxy) */
  tls: SecureClientSessionOptions | undefined;
}

interface RawRequest {
  method: KubeMethod;
  path: string;
  headers: Record<string, string | number>;
  payload: string | undefined;
}

/** what HTTP/2 takes from the agent's options: whom to trust, who we are, which name to check */
const TLS_OPTION_NAMES = ["ca", "cert", "key", "pfx", "passphrase", "rejectUnauthorized", "servername"] as const;

function tlsOptionsOf(agent: Agent): SecureClientSessionOptions {
  const options = (agent as Agent & { options: Record<string, unknown> }).options;
  return Object.fromEntries(TLS_OPTION_NAMES.filter((name) => options[name] !== undefined).map((name) => [name, options[name]]));
}

function overHttp1(origin: Pick<RequestOptions, "protocol" | "hostname" | "port">, agent: Agent | undefined, request: RawRequest): Promise<RawAnswer> {
  return new Promise<RawAnswer>((resolve, reject) => {
    const req = httpsRequest({ ...origin, path: request.path, method: request.method, agent, timeout: REQUEST_TIMEOUT_MS, headers: request.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
    req.on("error", reject);
    req.end(request.payload);
  });
}

export class KubeRest {
  readonly #kubeConfig: KubeConfig;
  readonly #server: string;
  /** the server URL's parts, parsed once rather than per request */
  readonly #origin: Pick<RequestOptions, "protocol" | "hostname" | "port">;
  readonly #basePath: string;
  /** reached over TLS without a proxy, so HTTP/2 can be tried */
  readonly #direct: boolean;
  readonly #liveness: Http2Liveness;
  #settings: { read: Promise<ConnectionSettings>; until: number } | undefined;
  #http2: ApiserverHttp2 | undefined;
  /** the apiserver (or what stands in front of it) refused HTTP/2 */
  #http1Only = false;

  constructor(kubeConfig: KubeConfig, liveness: Http2Liveness = DEFAULT_LIVENESS) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error("the kubeconfig has no current cluster");
    this.#kubeConfig = kubeConfig;
    this.#server = cluster.server.replace(/\/+$/, "");
    const url = new URL(this.#server);
    this.#origin = { protocol: url.protocol, hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"), port: url.port };
    this.#basePath = url.pathname.replace(/\/+$/, "");
    this.#direct = url.protocol === "https:" && !cluster.proxyUrl;
    this.#liveness = liveness;
  }

  /** `path` from the API root (/apis/…); `query` values are URL-encoded. Resolves to the parsed answer. */
  async send<T>(method: KubeMethod, path: string, options: { query?: Record<string, string>; body?: object; contentType?: string } = {}): Promise<T> {
    const settings = await this.#connection();
    const query = options.query ? `?${new URLSearchParams(options.query).toString()}` : "";
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const what = `${method} ${this.#basePath}${path}`;
    const request: RawRequest = {
      method,
      path: `${this.#basePath}${path}${query}`,
      headers: {
        ...settings.headers,
        accept: "application/json",
        ...(payload === undefined ? {} : { "content-type": options.contentType ?? "application/json", "content-length": Buffer.byteLength(payload) }),
      },
      payload,
    };
    let answer: RawAnswer;
    try {
      answer = await this.#exchange(settings, request);
    } catch (err) {
      throw transportError(what, err as Error);
    }
    const parsed = parseJson(answer.text);
    if (answer.status >= 200 && answer.status < 300 && parsed !== undefined) return parsed as T;
    if (answer.status === 401) this.#settings = undefined;
    throw new KubeRequestError(`${what}: HTTP ${answer.status}${reasonOf(parsed, answer.text)}`, answer.status, parsed ?? answer.text, flatHeaders(answer.headers));
  }

  /** Stops opening connections for new requests; those in flight finish. */
  close(): void {
    this.#http2?.close();
  }

  /** over HTTP/2 when the apiserver is reached directly over TLS and speaks it, else over the agent's HTTP/1.1 */
  async #exchange(settings: ConnectionSettings, request: RawRequest): Promise<RawAnswer> {
    if (settings.tls && !this.#http1Only) {
      this.#http2 ??= new ApiserverHttp2(this.#server, settings.tls, this.#liveness);
      const headers = { ...request.headers, [constants.HTTP2_HEADER_METHOD]: request.method, [constants.HTTP2_HEADER_PATH]: request.path };
      try {
        return await this.#http2.request(headers, request.payload, REQUEST_TIMEOUT_MS);
      } catch (err) {
        if (!(err instanceof NotHttp2Error)) throw err;
        this.#http1Only = true;
      }
    }
    return overHttp1(this.#origin, settings.agent, request);
  }

  #connection(): Promise<ConnectionSettings> {
    const now = Date.now();
    if (!this.#settings || now >= this.#settings.until) {
      const settings = { read: this.#read(), until: now + SETTINGS_TTL_MS };
      this.#settings = settings;
      settings.read.catch(() => {
        if (this.#settings === settings) this.#settings = undefined;
      });
    }
    return this.#settings.read;
  }

  async #read(): Promise<ConnectionSettings> {
    const context = new RequestContext(this.#server, HttpMethod.GET);
    await this.#kubeConfig.applySecurityAuthentication(context);
    const agent = context.getAgent() as Agent | undefined;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(context.getHeaders())) headers[name.toLowerCase()] = value;
    return { agent, headers, tls: this.#direct && agent instanceof Agent ? tlsOptionsOf(agent) : undefined };
  }
}

/** A request that got no complete answer (refused, cut, timed out, TLS failed), named. */
function transportError(what: string, err: Error): Error {
  return new Error(`${what}: ${err.message}`, { cause: err });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** ": <the Status message>" of an apiserver refusal, else the start of the body */
function reasonOf(parsed: unknown, text: string): string {
  const message = (parsed as { message?: unknown } | undefined)?.message;
  if (typeof message === "string") return `: ${message}`;
  return text ? `: ${text.slice(0, 200)}` : "";
}

/** the answer's headers, lists joined, without HTTP/2's pseudo-headers (:status) */
function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !k.startsWith(":")) flat[k] = Array.isArray(v) ? v.join(", ") : v;
  return flat;
}
