// NATS with TLS required and mutual TLS (LocalNats, a real nats-server with
// the development PKI of `cpuidctl nats config --tls-dir`): every client of
// the project connects with the right CA and its own certificate, and fails
// at once with a message naming the setting when the CA is wrong, the client
// certificate is missing or foreign, or the server speaks plaintext. The
// agent, controller and cpuidctl run as users run them.

import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControllerProcess, LEASE_NAMESPACE } from "../../../devenv/daemons/controller.ts";
import { LocalNats } from "../../../devenv/plane/nats-servers.ts";
import { REPO_ROOT } from "../../../devenv/repo-root.ts";
import { connectNats } from "../../../runtime/nats/connect.ts";
import { ensureFleetCertificates } from "../../../runtime/nats/dev-certificates.ts";
import { openHostsBucket } from "../../../runtime/nats/hosts-bucket.ts";
import { NatsTlsError, type NatsTls } from "../../../runtime/nats/tls.ts";
import { hostSeedFile, serviceSeedFile } from "../../../shared/nats/credentials-layout.ts";
import { hostKey } from "../../../shared/nats/subjects.ts";
import { tlsCaFiles, tlsHostFiles, tlsServiceFiles } from "../../../shared/nats/tls-layout.ts";
import { eventually, kubectl, planeInfo } from "../../harness/context.ts";
import { startAgent } from "../../support/daemons.ts";
import { FIXTURES_DIR } from "../../../devenv/fixtures.ts";

const HOST = "tls-host-a";
const PROFILE = join(FIXTURES_DIR, "cpuid-dumps", "intel", "haswell-ep-xeon-e5-2699v3.txt");

let nats: LocalNats;
let plain: LocalNats;
/** a second development PKI: its CA signed neither the servers nor our clients */
let foreignTlsDir: string;

beforeAll(async () => {
  const binary = planeInfo().binaries["nats-server"];
  [nats, plain] = await Promise.all([LocalNats.start({ binary, hosts: [HOST], tls: true }), LocalNats.start({ binary, hosts: [HOST] })]);
  await nats.createHostsBucket(1);
  foreignTlsDir = join(mkdtempSync(join(tmpdir(), "nats-foreign-pki-")), "tls");
  ensureFleetCertificates(foreignTlsDir, [HOST], ["127.0.0.1"]);
});

afterAll(async () => {
  await Promise.all([nats?.stop(), plain?.stop()]);
});

const tlsDir = () => nats.tlsDir!;
const controllerTls = (over: Partial<NatsTls> = {}): NatsTls => {
  const own = tlsServiceFiles(tlsDir(), "controller");
  return { caFile: tlsCaFiles(tlsDir()).cert, certFile: own.cert, keyFile: own.key, ...over };
};
const connectController = (tls: NatsTls | undefined, url = nats.url) =>
  connectNats({ servers: url, name: "tls-test", seedFile: serviceSeedFile(nats.credsDir, "controller"), tls, options: { timeout: 5_000 } });

describe("clients with the right CA and their own certificate", () => {
  it("admin, controller and a host connect over TLS and use the hosts bucket", async () => {
    const clients: NatsConnection[] = [];
    try {
      for (const identity of ["admin", "controller", { host: HOST }] as const) clients.push(await nats.connectAs(identity));
      for (const nc of clients) expect(nc.info?.tls_required).toBe(true);
      const [, controller, host] = clients;
      await (await openHostsBucket(host)).put(hostKey(HOST), '{"over":"tls"}');
      expect((await (await openHostsBucket(controller)).get(hostKey(HOST)))?.string()).toBe('{"over":"tls"}');
    } finally {
      await Promise.all(clients.map((nc) => nc.close()));
    }
  });
});

describe("TLS failures are immediate and say what to fix", () => {
  it("a CA that did not sign the server's certificate", async () => {
    const err = await connectController(controllerTls({ caFile: tlsCaFiles(foreignTlsDir).cert })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NatsTlsError);
    expect((err as Error).message).toMatch(new RegExp(`does not verify against the CA in --nats-ca-file ${tlsCaFiles(foreignTlsDir).cert}`));
  });

  it("the system's CAs only (no --nats-ca-file)", async () => {
    await expect(connectController(undefined)).rejects.toThrow(/does not verify against the system's CAs \(no --nats-ca-file\)/);
  });

  it("no client certificate: the server requires mutual TLS", async () => {
    await expect(connectController({ caFile: tlsCaFiles(tlsDir()).cert })).rejects.toThrow(/TLS: the NATS server refused the connection without a client certificate/);
  });

  it("a client certificate of another CA", async () => {
    const foreign = tlsServiceFiles(foreignTlsDir, "controller");
    await expect(connectController(controllerTls({ certFile: foreign.cert, keyFile: foreign.key }))).rejects.toThrow(
      new RegExp(`TLS: the NATS server refused the client certificate ${foreign.cert}`),
    );
  });

  it("a server without TLS: a client configured for TLS does not fall back to plaintext", async () => {
    await expect(connectController(controllerTls(), plain.url)).rejects.toThrow(/does not offer TLS, but TLS is configured/);
  });

  it("plaintext to the TLS server: the server refuses it", async () => {
    const reply = await plaintextConnect(nats.serverUrl(0));
    expect(reply.info).toMatchObject({ tls_required: true });
    expect(reply.rest).not.toMatch(/\+OK|PONG/);
  });

  it("missing files and a certificate without its key are named before connecting", async () => {
    await expect(connectController(controllerTls({ caFile: "/nonexistent/ca.crt" }))).rejects.toThrow("--nats-ca-file /nonexistent/ca.crt: no such file");
    await expect(connectController(controllerTls({ keyFile: undefined }))).rejects.toThrow(/--nats-cert-file and --nats-key-file go together/);
  });
});

describe("the daemons and cpuidctl over mutual TLS", () => {
  const agentTls = (caFile = tlsCaFiles(tlsDir()).cert) => {
    const own = tlsHostFiles(tlsDir(), HOST);
    return ["--nats-ca-file", caFile, "--nats-cert-file", own.cert, "--nats-key-file", own.key];
  };

  it("an agent with a wrong CA exits at once naming --nats-ca-file", async () => {
    const launch = { hostId: HOST, natsUrl: nats.url, seedFile: hostSeedFile(nats.credsDir, HOST), profile: PROFILE, readyTimeoutMs: 60_000 };
    await expect(startAgent({ ...launch, args: agentTls(tlsCaFiles(foreignTlsDir).cert) })).rejects.toThrow(/exited before it was ready[\s\S]*does not verify against the CA in --nats-ca-file/);
  });

  it("agent → NATS → controller → HostCpuidPolicy, and cpuidctl hosts list", async () => {
    const agent = await startAgent({ hostId: HOST, natsUrl: nats.url, seedFile: hostSeedFile(nats.credsDir, HOST), profile: PROFILE, args: agentTls() });
    const r = await kubectl(["create", "namespace", LEASE_NAMESPACE]);
    if (r.status !== 0 && !r.stderr.includes("AlreadyExists")) throw new Error(r.stderr);
    const own = tlsServiceFiles(tlsDir(), "controller");
    const controller = await ControllerProcess.start({
      plane: planeInfo(),
      logFile: join(mkdtempSync(join(tmpdir(), "controller-tls-")), "controller.log"),
      identity: "tls-1",
      args: [
        `--nats-url=${nats.url}`,
        `--nats-seed-file=${serviceSeedFile(nats.credsDir, "controller")}`,
        `--nats-ca-file=${tlsCaFiles(tlsDir()).cert}`,
        `--nats-cert-file=${own.cert}`,
        `--nats-key-file=${own.key}`,
        "--lease-duration=4",
        "--renew-deadline=3",
        "--retry-period=0.5",
      ],
      readyTimeoutMs: 30_000,
    });
    try {
      await eventually("HostCpuidPolicy of the TLS host", async () => {
        const hcp = await kubectl(["get", "hcp", HOST, "-o", "jsonpath={.status.hostId}"]);
        expect(hcp.stdout).toBe(HOST);
      });
      const cli = await cpuidctl(["hosts", "list", "-o", "json"], { CPUID_FLEET_NATS_CA_FILE: tlsCaFiles(tlsDir()).cert, CPUID_FLEET_NATS_CERT_FILE: own.cert, CPUID_FLEET_NATS_KEY_FILE: own.key });
      expect(cli.code).toBe(0);
      expect(cli.stdout).toContain(HOST);
      const wrong = await cpuidctl(["hosts", "list"], { CPUID_FLEET_NATS_CA_FILE: tlsCaFiles(foreignTlsDir).cert, CPUID_FLEET_NATS_CERT_FILE: own.cert, CPUID_FLEET_NATS_KEY_FILE: own.key });
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toMatch(/cannot connect to NATS: TLS: the NATS server's certificate does not verify against the CA in --nats-ca-file/);
    } finally {
      await controller.stop();
      await agent.stop();
      await kubectl(["delete", "hcp", HOST, "--ignore-not-found"]);
    }
  });
});

function cpuidctl(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(
      join(REPO_ROOT, "bin", "cpuidctl"),
      args,
      { env: { ...process.env, NATS_URL: nats.url, CPUID_FLEET_NATS_SEED_FILE: serviceSeedFile(nats.credsDir, "controller"), ...env } },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

/** Speaks the NATS protocol in plaintext: reads INFO, sends CONNECT and PING, returns what came back until the server closed or 3 s passed. */
function plaintextConnect(url: string): Promise<{ info: unknown; rest: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(Number(port), hostname);
    let text = "";
    let sent = false;
    const done = () => {
      socket.destroy();
      const [first, ...rest] = text.split("\r\n");
      resolve({ info: JSON.parse(first.replace(/^INFO /, "")), rest: rest.join("\n") });
    };
    socket.setTimeout(3_000, done);
    socket.on("error", reject);
    socket.on("close", done);
    socket.on("data", (d: Buffer) => {
      text += d.toString("latin1");
      if (!sent && text.includes("\r\n")) {
        sent = true;
        socket.write('CONNECT {"verbose":true}\r\nPING\r\n');
      }
    });
  });
}
