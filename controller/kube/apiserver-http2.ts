// The controller's writes over one HTTP/2 connection to the apiserver (as
// client-go talks to it) instead of a pool of HTTP/1.1 keep-alive sockets:
// one TLS stream whose reads carry many answers at once, and compressed
// headers. A status write costs this process about a third less CPU
// (BENCHMARKS.md, "HTTP/2 for the controller's writes").
//
// A session that fails, closes or is told to go away is dropped, and the
// next request opens a new one; requests in flight on it fail as transport
// errors, which their callers retry like any other. A session that has been
// silent for a while is pinged, and one that does not answer is dropped,
// since a silent peer would otherwise hold every request until its timeout.
// A server that does not speak HTTP/2 (ALPN) is reported as NotHttp2Error
// before any request went out, so the caller can send it over HTTP/1.1.

import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders, type SecureClientSessionOptions } from "node:http2";

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface Http2Liveness {
  /** a session this long without a frame from the server is pinged */
  idleMs: number;
  /** and dropped if the ping is not answered this fast */
  pingTimeoutMs: number;
}

export const DEFAULT_LIVENESS: Http2Liveness = { idleMs: 30_000, pingTimeoutMs: 15_000 };

/** The server chose no HTTP/2 in the TLS handshake; nothing was sent. */
export class NotHttp2Error extends Error {
  override name = "NotHttp2Error";
}

/** the connection-level receive window: many answers in flight at once must not wait for window updates */
const SESSION_WINDOW_BYTES = 8 * 1024 * 1024;

export class ApiserverHttp2 {
  readonly #origin: string;
  readonly #tls: SecureClientSessionOptions;
  readonly #liveness: Http2Liveness;
  #session: Promise<Session> | undefined;
  /** one sweep a second for the requests' timeouts, rather than a timer per request that every frame re-arms */
  readonly #deadlines = new Sweep(1_000);

  constructor(origin: string, tls: SecureClientSessionOptions, liveness: Http2Liveness = DEFAULT_LIVENESS) {
    this.#origin = origin;
    this.#tls = tls;
    this.#liveness = liveness;
  }

  async request(headers: Record<string, string | number>, payload: string | undefined, timeoutMs: number): Promise<RawAnswer> {
    const session = await (this.#session ??= this.#open());
    return new Promise<RawAnswer>((resolve, reject) => {
      const stream = session.http2.request(headers, { endStream: payload === undefined });
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        this.#deadlines.delete(expired);
        outcome();
      };
      const expired = (now: number) => {
        if (now < deadline) return;
        settle(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)));
        stream.close(constants.NGHTTP2_CANCEL);
      };
      const deadline = performance.now() + timeoutMs;
      this.#deadlines.watch(expired);
      session.started();
      let answer: IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      stream.on("response", (h) => (answer = h));
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => settle(() => resolve({ status: Number(answer[constants.HTTP2_HEADER_STATUS] ?? 0), headers: answer, text: Buffer.concat(chunks).toString("utf8") })));
      stream.on("error", (err: Error) => settle(() => reject(err)));
      stream.on("close", () => {
        session.ended();
        // without "end" or "error" first: the server reset the stream, or the session went away
        settle(() => reject(new Error(`the stream closed before a complete answer (HTTP/2 error code ${stream.rstCode})`)));
      });
      if (payload !== undefined) stream.end(payload);
    });
  }

  /** Closes the session: requests in flight finish, none start on it. */
  close(): void {
    const session = this.#session;
    this.#session = undefined;
    void session?.then((s) => s.http2.close(), () => undefined);
  }

  #open(): Promise<Session> {
    const opening = new Promise<Session>((resolve, reject) => {
      const session = connect(this.#origin, this.#tls);
      session.once("connect", (_session, socket) => {
        if ((socket as { alpnProtocol?: string | false }).alpnProtocol !== "h2") {
          session.destroy();
          reject(new NotHttp2Error(`${this.#origin} does not speak HTTP/2`));
          return;
        }
        session.setLocalWindowSize(SESSION_WINDOW_BYTES);
        resolve(new Session(session));
      });
      session.on("error", (err: Error & { code?: string }) => {
        reject(err.code === "ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL" ? new NotHttp2Error(`${this.#origin} does not speak HTTP/2`, { cause: err }) : err);
      });
      const drop = () => {
        if (this.#session === opening) this.#session = undefined;
      };
      session.on("close", drop);
      session.on("goaway", drop);
      session.setTimeout(this.#liveness.idleMs, () => this.#ping(session, drop));
    });
    opening.catch(() => {
      if (this.#session === opening) this.#session = undefined;
    });
    return opening;
  }

  #ping(session: ClientHttp2Session, drop: () => void): void {
    if (session.closed || session.destroyed) return;
    const deadline = setTimeout(() => {
      drop();
      session.destroy(new Error(`the apiserver did not answer a ping within ${this.#liveness.pingTimeoutMs / 1000} s`));
    }, this.#liveness.pingTimeoutMs);
    deadline.unref();
    session.ping((err) => {
      clearTimeout(deadline);
      if (err) drop();
    });
  }
}

/** A session and its requests in flight: it keeps the process alive only while it carries some, as an idle keep-alive socket does not. */
class Session {
  readonly http2: ClientHttp2Session;
  #inFlight = 0;

  constructor(http2: ClientHttp2Session) {
    this.http2 = http2;
    http2.unref();
  }

  started(): void {
    if (this.#inFlight++ === 0) this.http2.ref();
  }

  ended(): void {
    if (--this.#inFlight === 0) this.http2.unref();
  }
}

/** Calls each watcher with the time (performance.now()) every `everyMs` while there are any; a watcher removes itself. */
class Sweep {
  readonly #everyMs: number;
  readonly #watchers = new Set<(now: number) => void>();
  #timer: NodeJS.Timeout | undefined;

  constructor(everyMs: number) {
    this.#everyMs = everyMs;
  }

  watch(watcher: (now: number) => void): void {
    this.#watchers.add(watcher);
    this.#timer ??= setInterval(() => {
      const now = performance.now();
      for (const w of this.#watchers) w(now);
    }, this.#everyMs).unref();
  }

  delete(watcher: (now: number) => void): void {
    this.#watchers.delete(watcher);
    if (this.#watchers.size > 0 || !this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
