// `cpuidctl nats config` output loaded into a real nats-server: host A can
// neither publish, read, watch nor receive anything of host B's, while its
// own key, subjects, heartbeat and inbox work, and the controller reaches both.
// Once in plaintext and once with TLS required and mutual TLS (its
// --tls-dir certificates and tls.conf): TLS changes nothing of the above.

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { NatsConnection, Status } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOSTS_BUCKET, heartbeatSubject, hostInboxPrefix, hostKey, hostSubject, hostSubjectWildcard } from "../../../shared/nats/subjects.ts";
import { connectAs, type NatsIdentity } from "../../../runtime/nats/connect.ts";
import { TLS_FILE } from "../../../cli/commands/nats-config.ts";
import { createHostsBucket, openHostsBucket } from "../../../runtime/nats/hosts-bucket.ts";
import { planeInfo } from "../../harness/context.ts";
import { freePorts } from "../../../devenv/plane/ports.ts";
import { REPO_ROOT } from "../../../devenv/repo-root.ts";

const A = "host-a";
const B = "xen-b.lab"; // not a plain token: exercises the encoded form too

describe.each([{ transport: "plaintext", tls: false }, { transport: "mutual TLS", tls: true }])("$transport", ({ tls }) => {
  let server: ChildProcess;
  let url: string;
  let credsDir: string;
  let a: NatsConnection;
  let b: NatsConnection;
  let controller: NatsConnection;
  const aErrors: Status[] = [];

  const connect = (identity: NatsIdentity) => connectAs(url, credsDir, identity, tls ? { tlsDir: join(credsDir, "tls") } : {});

  async function startServer(): Promise<void> {
    credsDir = mkdtempSync(join(tmpdir(), "nats-perm-"));
    const tlsArgs = tls ? ["--tls-dir", join(credsDir, "tls")] : [];
    execFileSync(join(REPO_ROOT, "node_modules", ".bin", "node"), [join(REPO_ROOT, "cli", "cpuidctl.ts"), "nats", "config", "--hosts", A, B, "--out", credsDir, ...tlsArgs]);
    const [port] = await freePorts(1);
    url = `${tls ? "tls" : "nats"}://127.0.0.1:${port}`;
    const conf = join(credsDir, "nats-server.conf");
    const includes = ["authorization.conf", ...(tls ? [TLS_FILE] : [])].map((f) => `include ${JSON.stringify(f)}\n`).join("");
    writeFileSync(conf, `listen: "127.0.0.1:${port}"\njetstream { store_dir: ${JSON.stringify(join(credsDir, "js"))} }\n${includes}`);
    server = spawn(planeInfo().binaries["nats-server"], ["-c", conf], { stdio: "ignore" });
    for (let i = 0; i < 100; i++) {
      try {
        const admin = await connect("admin");
        await createHostsBucket(admin);
        await admin.close();
        return;
      } catch {
        await sleep(100);
      }
    }
    throw new Error("nats-server did not come up");
  }

  function watchErrors(nc: NatsConnection, into: Status[]): void {
    void (async () => {
      for await (const s of nc.status()) if (s.type === "error") into.push(s);
    })();
  }

  /**
   * Waits for the server to report `Permissions Violation for <Publish|Subscription> to "<subject>"`
   * on A's connection (`subject` ending in "…" matches as a prefix).
   */
  async function violation(operation: "publish" | "subscription", subject: string): Promise<void> {
    const verb = operation === "publish" ? "Publish" : "Subscription";
    const prefix = subject.endsWith("…");
    const wanted = `Permissions Violation for ${verb} to "${prefix ? subject.slice(0, -1) : `${subject}"`}`;
    for (let i = 0; i < 40; i++) {
      if (aErrors.some((s) => s.type === "error" && s.error.message.includes(wanted))) return;
      await sleep(50);
    }
    throw new Error(`no ${wanted}; saw: ${aErrors.map((s) => (s.type === "error" ? s.error.message : s.type)).join(" | ")}`);
  }

  beforeAll(async () => {
    await startServer();
    a = await connect({ host: A });
    b = await connect({ host: B });
    controller = await connect("controller");
    watchErrors(a, aErrors);
    // B serves its own subjects, like its agent would.
    b.subscribe(hostSubjectWildcard(B), { callback: (_e, m) => void m.respond(JSON.stringify({ from: B, subject: m.subject })) });
    await b.flush();
  });

  afterAll(async () => {
    await Promise.allSettled([a?.close(), b?.close(), controller?.close()]);
    server?.kill("SIGTERM");
  });

  describe("host A's own resources work", () => {
    it("puts and reads its own key, publishes its heartbeat, serves its subjects", async () => {
      const kv = await openHostsBucket(a);
      await kv.put(hostKey(A), "{}");
      expect((await kv.get(hostKey(A)))?.string()).toBe("{}");
      const hb = controller.subscribe("cpuid.v1.host.*.heartbeat", { max: 1 });
      await controller.flush();
      a.publish(heartbeatSubject(A), "{}");
      for await (const m of hb) expect(m.subject).toBe(heartbeatSubject(A));
      a.subscribe(hostSubject(A, "get"), { max: 1, callback: (_e, m) => void m.respond("mine") });
      await a.flush();
      expect((await controller.request(hostSubject(A, "get"), "{}", { timeout: 2000 })).string()).toBe("mine");
    });
  });

  describe("host A cannot touch host B", () => {
    beforeAll(async () => {
      await (await openHostsBucket(b)).put(hostKey(B), '{"secret":true}');
    });

    it("KV put of B's key", async () => {
      await expect((await openHostsBucket(a)).put(hostKey(B), "{}")).rejects.toThrow(/Permissions Violation|timeout|TIMEOUT/i);
      await violation("publish", `$KV.${HOSTS_BUCKET}.${hostKey(B)}`);
    });

    it("KV get of B's key", async () => {
      await expect((await openHostsBucket(a)).get(hostKey(B))).rejects.toThrow();
      await violation("publish", `$JS.API.DIRECT.GET.KV_${HOSTS_BUCKET}.$KV.${HOSTS_BUCKET}.${hostKey(B)}`);
    });

    it("KV watch of B's key and listing the bucket", async () => {
      await expect((await openHostsBucket(a)).watch({ key: hostKey(B) })).rejects.toThrow();
      await violation("publish", `$JS.API.CONSUMER.CREATE.KV_${HOSTS_BUCKET}…`);
      await expect((async () => (await openHostsBucket(a)).keys())()).rejects.toThrow();
    });

    it("subscribing to B's request subjects, heartbeat, inbox, or the controller's inbox", async () => {
      for (const subject of [hostSubjectWildcard(B), hostSubject(B, "set"), heartbeatSubject(B), `${hostInboxPrefix(B)}.>`, "_INBOX.>", "cpuid.v1.host.*.set", ">"]) {
        a.subscribe(subject);
        await violation("subscription", subject);
      }
    });

    it("receives nothing addressed to B: B's requests and B's replies still flow only to B and the controller", async () => {
      const reply = await controller.request(hostSubject(B, "set"), "{}", { timeout: 2000 });
      expect(reply.json()).toEqual({ from: B, subject: hostSubject(B, "set") });
    });

    it("publishing on B's subjects: requests to B, B's heartbeat, B's key", async () => {
      await expect(a.request(hostSubject(B, "set"), "{}", { timeout: 1000 })).rejects.toThrow();
      await violation("publish", hostSubject(B, "set"));
      a.publish(heartbeatSubject(B), "{}");
      await violation("publish", heartbeatSubject(B));
    });
  });
});
