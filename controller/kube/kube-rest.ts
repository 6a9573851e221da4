// JSON requests to the apiserver straight over node:https, for the
// controller's writes. client-node 1.4's generated clients cost ~0.7 ms of CPU
// per request (a request context and middleware chain, ObjectSerializer,
// node-fetch, and re-reading the kubeconfig's certificate files every time);
// this costs about half (BENCHMARKS.md, "Controller at fleet scale"), and a
// DomainCpuidPolicy costs the controller one such write.
//
// The connection settings come from client-node itself (the kubeconfig's TLS
// settings, its authenticators, the shared keep-alive pool of
// ./kube-config.ts or a proxy agent), taken afresh every 10 s and after a 401
// so that rotating tokens are followed. Errors carry the HTTP status as
// `code`, and `body` and `headers`, as client-node's ApiException does:
// ./api-error.ts reads both alike.

import { request, type Agent, type RequestOptions } from "node:https";
import { HttpMethod, RequestContext, type KubeConfig } from "@kubernetes/client-node";

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

interface RequestBody {
  query?: Record<string, string>;
  body?: object;
  contentType?: string;
}

interface ConnectionSettings {
  agent: Agent | undefined;
  headers: Record<string, string>;
}

export class KubeRest {
  readonly #kubeConfig: KubeConfig;
  readonly #server: string;
  /** the server URL's parts, parsed once rather than per request */
  readonly #origin: Pick<RequestOptions, "protocol" | "hostname" | "port">;
  readonly #basePath: string;
  #settings: { read: Promise<ConnectionSettings>; until: number } | undefined;

  constructor(kubeConfig: KubeConfig) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error("the kubeconfig has no current cluster");
    this.#kubeConfig = kubeConfig;
    this.#server = cluster.server.replace(/\/+$/, "");
    const url = new URL(this.#server);
    this.#origin = { protocol: url.protocol, hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"), port: url.port };
    this.#basePath = url.pathname.replace(/\/+$/, "");
  }

  /** `path` from the API root (/apis/…); `query` values are URL-encoded. Resolves to the parsed answer. */
  async send<T>(method: KubeMethod, path: string, options: RequestBody = {}): Promise<T> {
    const text = await this.sendForText(method, path, options);
    const parsed = parseJson(text);
    if (parsed === undefined) throw new Error(`${method} ${this.#basePath}${path}: the answer is not JSON: ${text.slice(0, 200)}`);
    return parsed as T;
  }

  /** As send(), resolving to the answer's text unparsed: for writes whose answer is rarely or never read. */
  async sendForText(method: KubeMethod, path: string, options: RequestBody = {}): Promise<string> {
    const { agent, headers } = await this.#connection();
    const query = options.query ? `?${new URLSearchParams(options.query).toString()}` : "";
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const what = `${method} ${this.#basePath}${path}`;
    return new Promise<string>((resolve, reject) => {
      const req = request(
        {
          ...this.#origin,
          path: `${this.#basePath}${path}${query}`,
          method,
          agent,
          timeout: REQUEST_TIMEOUT_MS,
          headers: {
            ...headers,
            accept: "application/json",
            ...(payload === undefined ? {} : { "content-type": options.contentType ?? "application/json", "content-length": Buffer.byteLength(payload) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", (err) => reject(transportError(what, err)));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve(text);
            if (status === 401) this.#settings = undefined;
            const parsed = parseJson(text);
            reject(new KubeRequestError(`${what}: HTTP ${status}${reasonOf(parsed, text)}`, status, parsed ?? text, flatHeaders(res.headers)));
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
      req.on("error", (err) => reject(transportError(what, err)));
      req.end(payload);
    });
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
    return { agent: context.getAgent() as Agent | undefined, headers: { ...context.getHeaders() } };
  }
}

/** A request that got no complete answer (refused, cut, timed out, TLS failed), named. */
function transportError(what: string, err: Error): Error {
  return new Error(`${what}: ${err.message}`, { cause: err });
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** ": <the Status message>" of an apiserver refusal, else the start of the body */
export function reasonOf(parsed: unknown, text: string): string {
  const message = (parsed as { message?: unknown } | undefined)?.message;
  if (typeof message === "string") return `: ${message}`;
  return text ? `: ${text.slice(0, 200)}` : "";
}

function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(", ") : v;
  return flat;
}
