// A TCP proxy in front of a real server that can hold back what the next
// clients send for a while (the server sees a client too slow to
// authenticate) and drop every open connection (the server seems to go away).
// Records what the server sent each connection, so a test can show the
// server really refused the stalled ones.

import { createConnection, createServer, type Server, type Socket } from "node:net";

export class StallingProxy {
  readonly #server: Server;
  readonly #open = new Set<Socket>();
  #stalls: number[] = [];
  /** everything the server sent, one entry per connection, in order */
  readonly fromServer: string[] = [];
  port = 0;

  private constructor(target: { host: string; port: number }) {
    this.#server = createServer((client) => {
      const stallMs = this.#stalls.shift();
      const index = this.fromServer.push("") - 1;
      const upstream = createConnection(target);
      this.#open.add(client).add(upstream);
      upstream.on("data", (d: Buffer) => {
        this.fromServer[index] += d.toString();
        client.write(d);
      });
      if (stallMs === undefined) client.pipe(upstream);
      else setTimeout(() => client.pipe(upstream), stallMs);
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.#open.delete(client);
        this.#open.delete(upstream);
      };
      for (const s of [client, upstream]) s.on("close", close).on("error", close);
    });
  }

  static async start(target: { host: string; port: number }): Promise<StallingProxy> {
    const proxy = new StallingProxy(target);
    await new Promise<void>((resolve) => proxy.#server.listen(0, "127.0.0.1", resolve));
    proxy.port = (proxy.#server.address() as { port: number }).port;
    return proxy;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** The next `connections` clients' bytes reach the server only after `ms`. */
  stallNext(connections: number, ms: number): void {
    this.#stalls.push(...Array<number>(connections).fill(ms));
  }

  dropAll(): void {
    for (const s of this.#open) s.destroy();
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
