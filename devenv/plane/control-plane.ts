// The local control plane: real etcd, kube-apiserver and nats-server on free
// loopback ports, started for the integration tests, the benchmarks and the
// demo (`npm run cluster:up`). Starting it also installs the CRDs and creates
// the `cpuid-hosts` KV bucket. See layout.ts for the directory layout.
//
//   const plane = await ControlPlane.start({ hosts: ["host-a"] });
//   plane.info().kubeconfig, plane.addUser("cpuid-controller", []), …
//   await plane.restartComponent("nats-server");
//   await plane.stop();
//
// Another process (a test worker) can operate on a running plane with
// ControlPlane.attach(dir).

import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { renderAuthorization } from "../../shared/nats/authorization.ts";
import { hostSeedFile, serviceSeedFile, type ServiceIdentity } from "../../shared/nats/credentials-layout.ts";
import { REPO_ROOT } from "../repo-root.ts";
import { CONTROL_PLANE_BINARIES, type ControlPlaneBinaryName } from "../toolchain/binaries.ts";
import { type ControlPlaneBinaries, ensureControlPlaneBinaries } from "../toolchain/ensure.ts";
import { isProcessAlive } from "../toolchain/process-liveness.ts";
import { createPki, issueClientCert, pkiPaths, readPem } from "./certs.ts";
import {
  apiserverUrl,
  COMPONENTS,
  type ComponentContext,
  type ComponentName,
  componentArgs,
  etcdUrl,
  isComponentReady,
  natsMonitorUrl,
  natsUrl,
  START_TIMEOUT_MS,
} from "./components.ts";
import { reapAbandonedPlanes } from "./abandoned-planes.ts";
import { installCrds } from "./crds.ts";
import { renderKubeconfig } from "./kubeconfig.ts";
import { logFile, type PlaneLayout, planeLayout, userKubeconfig } from "./layout.ts";
import { killProcessGroupNow, signalProcess, startProcess, stopProcess } from "./managed-process.ts";
import { connectAs } from "../../runtime/nats/connect.ts";
import { createHostsBucket } from "../../runtime/nats/hosts-bucket.ts";
import { ensureFleetIdentities, ensureHostIdentity } from "../../runtime/nats/identities.ts";
import { renderNatsServerConfig } from "./nats-server-config.ts";
import { type PlaneState, readPlaneState, removePlaneDirs, updatePlaneState, writePlaneState } from "./plane-state.ts";
import { freePorts } from "./ports.ts";
import { httpGet, waitUntilReady } from "./readiness.ts";

export const DEFAULT_CRD_DIRS = [join(REPO_ROOT, "crds")];
const ADMIN_USER = "admin";
const PLANE_DIR_PREFIX = "cpuid-fleet-plane-";

export interface StartOptions {
  /** Plane directory; must not exist or be empty. Default: a new temp dir. */
  dir?: string;
  /** Host ids that get a NATS identity (more can be added later). */
  hosts?: readonly string[];
  /** Directories of CRD YAML files to install. Default: the repo's crds/. */
  crdDirs?: readonly string[];
  /** Already resolved binaries. Default: ensureControlPlaneBinaries(). */
  binaries?: ControlPlaneBinaries;
  /** Extra kube-apiserver flags, after the plane's own (a later flag wins). */
  apiserverArgs?: readonly string[];
  /** Keep the directories on stop. Default: KEEP_TEST_DIRS=1. */
  keep?: boolean;
  log?: (line: string) => void;
}

/** Everything a client of the plane needs; plain data (vitest `provide`s it). */
export interface PlaneInfo {
  dir: string;
  kubeconfig: string;
  apiserverUrl: string;
  etcdUrl: string;
  natsUrl: string;
  natsMonitorUrl: string;
  credsDir: string;
  binDir: string;
  binaries: Record<ControlPlaneBinaryName, string>;
  caCert: string;
  kubectlCacheDir: string;
  hosts: string[];
}

/** Milliseconds from the first process start until each milestone. */
export interface StartTimings {
  etcdReady: number;
  apiserverReady: number;
  crdsEstablished: number;
  natsReady: number;
  hostsBucketCreated: number;
  total: number;
}

const ownedStateFiles = new Set<string>();

export class ControlPlane {
  readonly layout: PlaneLayout;
  /** Set on a plane this process started. */
  startTimings: StartTimings | undefined;

  private constructor(dir: string) {
    this.layout = planeLayout(dir);
  }

  static attach(dir: string): ControlPlane {
    const plane = new ControlPlane(dir);
    if (!existsSync(plane.layout.stateFile)) throw new Error(`no control plane in ${dir} (missing plane.json)`);
    return plane;
  }

  /**
   * Stops whatever a plane in `dir` still runs (its owner died without
   * stopping it) and removes the directory. Nothing there is fine.
   */
  static async removeLeftovers(dir: string): Promise<void> {
    if (existsSync(planeLayout(dir).stateFile)) await ControlPlane.attach(dir).stop();
    rmSync(dir, { recursive: true, force: true });
  }

  static async start(options: StartOptions = {}): Promise<ControlPlane> {
    const log = options.log ?? (() => {});
    const binaries = options.binaries ?? (await ensureControlPlaneBinaries());
    await reapAbandonedPlanes(tmpdir(), PLANE_DIR_PREFIX, log);
    const dir = preparePlaneDir(options.dir);
    const plane = new ControlPlane(dir);
    const { layout } = plane;
    for (const d of [layout.logsDir, layout.usersDir, layout.credsDir, layout.natsStoreDir, layout.binDir, layout.kubectlCacheDir]) {
      mkdirSync(d, { recursive: true });
    }
    const [etcdClient, etcdPeer, apiserver, nats, natsMonitor] = await freePorts(5);
    const state: PlaneState = {
      dir,
      ownerPid: process.pid,
      etcdDataDir: etcdDataDirFor(dir),
      ports: { etcdClient, etcdPeer, apiserver, nats, natsMonitor },
      binaries: Object.fromEntries(CONTROL_PLANE_BINARIES.map((n) => [n, binaries[n].path])) as Record<ControlPlaneBinaryName, string>,
      pids: {},
      natsHosts: [...new Set(options.hosts ?? [])],
      ...(options.apiserverArgs ? { apiserverArgs: [...options.apiserverArgs] } : {}),
      removeOnStop: !(options.keep ?? process.env.KEEP_TEST_DIRS === "1"),
    };
    writePlaneState(layout.stateFile, state);
    ownedStateFiles.add(layout.stateFile);
    installExitHook();
    try {
      for (const name of CONTROL_PLANE_BINARIES) symlinkSync(state.binaries[name], join(layout.binDir, name));
      createPki(layout.pkiDir);
      plane.writeUserKubeconfig(layout.kubeconfig, ADMIN_USER, ["system:masters"]);
      plane.writeNatsConfig(state);

      const t0 = Date.now();
      const since = () => Date.now() - t0;
      const timings: Partial<StartTimings> = {};
      const etcd = plane.startComponent("etcd").then(() => (timings.etcdReady = since()));
      const nats = plane
        .startComponent("nats-server")
        .then(() => (timings.natsReady = since()))
        .then(() => plane.createHostsBucket())
        .then(() => (timings.hostsBucketCreated = since()));
      nats.catch(() => {}); // awaited below; do not let an earlier failure leave it unhandled
      await etcd;
      await plane.startComponent("kube-apiserver");
      timings.apiserverReady = since();
      const crds = await installCrds(layout.kubeconfig, options.crdDirs ?? DEFAULT_CRD_DIRS);
      timings.crdsEstablished = since();
      await nats;
      timings.total = since();
      plane.startTimings = timings as StartTimings;
      log(`control plane ready in ${timings.total} ms (${crds.length} CRDs) at ${dir}`);
    } catch (err) {
      await plane.stop();
      throw err;
    }
    return plane;
  }

  get state(): PlaneState {
    return readPlaneState(this.layout.stateFile);
  }

  info(): PlaneInfo {
    const { ports, binaries, natsHosts } = this.state;
    return {
      dir: this.layout.dir,
      kubeconfig: this.layout.kubeconfig,
      apiserverUrl: apiserverUrl(ports),
      etcdUrl: etcdUrl(ports),
      natsUrl: natsUrl(ports),
      natsMonitorUrl: natsMonitorUrl(ports),
      credsDir: this.layout.credsDir,
      binDir: this.layout.binDir,
      binaries,
      caCert: pkiPaths(this.layout.pkiDir).caCert,
      kubectlCacheDir: this.layout.kubectlCacheDir,
      hosts: natsHosts,
    };
  }

  isRunning(name: ComponentName): boolean {
    const pid = this.state.pids[name];
    return pid !== undefined && isProcessAlive(pid);
  }

  /** Starts a stopped component with its previous ports and data; waits until it is ready. */
  async startComponent(name: ComponentName): Promise<void> {
    if (this.isRunning(name)) throw new Error(`${name} is already running`);
    const state = this.state;
    const log = logFile(this.layout, name);
    const pid = startProcess({ name, command: state.binaries[name], args: componentArgs(name, this.componentContext(state)), logFile: log }).pid!;
    updatePlaneState(this.layout.stateFile, (s) => (s.pids[name] = pid));
    await waitUntilReady({
      what: name,
      pid,
      logFile: log,
      timeoutMs: START_TIMEOUT_MS[name],
      probe: () => isComponentReady(name, this.componentContext(state)),
    });
  }

  /** Stops a component (SIGTERM, then SIGKILL); its data stays. */
  async stopComponent(name: ComponentName): Promise<void> {
    const pid = this.state.pids[name];
    if (pid !== undefined) await stopProcess(pid);
    updatePlaneState(this.layout.stateFile, (s) => delete s.pids[name]);
  }

  async restartComponent(name: ComponentName): Promise<void> {
    await this.stopComponent(name);
    await this.startComponent(name);
  }

  /**
   * A Kubernetes identity authenticated by client certificate (CN=user,
   * O=groups); returns the path of its kubeconfig. It can do only what RBAC
   * grants the user or its groups.
   */
  addUser(user: string, groups: readonly string[] = []): string {
    if (user === ADMIN_USER) throw new Error(`"${ADMIN_USER}" is the plane's own admin identity`);
    const path = userKubeconfig(this.layout, user);
    this.writeUserKubeconfig(path, user, groups);
    return path;
  }

  /**
   * A NATS identity for a host (kept if it exists); the running server is
   * reloaded with the new authorization. Returns the host's seed file.
   */
  async addNatsHost(hostId: string): Promise<string> {
    const seedFile = ensureHostIdentity(this.layout.credsDir, hostId);
    const state = this.state;
    if (state.natsHosts.includes(hostId)) return seedFile;
    const updated = updatePlaneState(this.layout.stateFile, (s) => s.natsHosts.push(hostId));
    this.writeNatsConfig(updated);
    if (this.isRunning("nats-server")) await this.reloadNatsServer(updated);
    return seedFile;
  }

  hostSeedFile(hostId: string): string {
    return hostSeedFile(this.layout.credsDir, hostId);
  }

  serviceSeedFile(identity: ServiceIdentity): string {
    return serviceSeedFile(this.layout.credsDir, identity);
  }

  /** Creates the `cpuid-hosts` KV bucket as admin (idempotent). */
  async createHostsBucket(): Promise<void> {
    const admin = await connectAs(this.info().natsUrl, this.layout.credsDir, "admin");
    try {
      await createHostsBucket(admin);
    } finally {
      await admin.close();
    }
  }

  async installCrds(dirs: readonly string[]): Promise<string[]> {
    return installCrds(this.layout.kubeconfig, dirs);
  }

  /** Stops every component and removes the directories (unless kept). */
  async stop(): Promise<void> {
    if (!existsSync(this.layout.stateFile)) return;
    const state = this.state;
    const stopping = (name: ComponentName) => (state.pids[name] === undefined ? Promise.resolve() : stopProcess(state.pids[name]));
    await Promise.all([stopping("nats-server"), stopping("kube-apiserver")]);
    await stopping("etcd");
    ownedStateFiles.delete(this.layout.stateFile);
    if (state.removeOnStop) {
      removePlaneDirs(state);
    } else {
      updatePlaneState(this.layout.stateFile, (s) => (s.pids = {}));
      console.error(`[control-plane] KEEP_TEST_DIRS: kept ${state.dir} (etcd data: ${state.etcdDataDir})`);
    }
  }

  private componentContext(state: PlaneState): ComponentContext {
    const admin = join(this.layout.pkiDir, "users");
    return {
      layout: this.layout,
      ports: state.ports,
      etcdDataDir: state.etcdDataDir,
      apiserverArgs: state.apiserverArgs ?? [],
      adminClientCert: { cert: join(admin, `${ADMIN_USER}.crt`), key: join(admin, `${ADMIN_USER}.key`) },
    };
  }

  private writeUserKubeconfig(path: string, user: string, groups: readonly string[]): void {
    const cert = issueClientCert(this.layout.pkiDir, user, groups);
    const text = renderKubeconfig({
      server: apiserverUrl(this.state.ports),
      caPem: readPem(pkiPaths(this.layout.pkiDir).caCert),
      clientCertPem: readPem(cert.cert),
      clientKeyPem: readPem(cert.key),
      user,
    });
    writeFileSync(path, text, { mode: 0o600 });
  }

  private writeNatsConfig(state: PlaneState): void {
    const authorization = renderAuthorization(ensureFleetIdentities(this.layout.credsDir, state.natsHosts));
    mkdirSync(join(this.layout.natsConfig, ".."), { recursive: true });
    writeFileSync(
      this.layout.natsConfig,
      renderNatsServerConfig({
        port: state.ports.nats,
        monitorPort: state.ports.natsMonitor,
        storeDir: this.layout.natsStoreDir,
        authorization,
      }),
    );
  }

  /** SIGHUP, then wait until the server reports a newer config load time. */
  private async reloadNatsServer(state: PlaneState): Promise<void> {
    const varz = async () => (JSON.parse((await httpGet(`${natsMonitorUrl(state.ports)}/varz`)).body) as { config_load_time: string }).config_load_time;
    const before = await varz();
    signalProcess(state.pids["nats-server"]!, "SIGHUP");
    const deadline = Date.now() + 10_000;
    while ((await varz()) === before) {
      if (Date.now() > deadline) throw new Error("nats-server did not reload its configuration within 10 s");
      await sleep(20);
    }
  }
}

/**
 * Kill every plane this process started when it is interrupted (SIGINT,
 * SIGTERM, SIGHUP), then exit with the conventional status. For processes
 * that have no graceful shutdown of their own (the vitest main process).
 */
export function stopPlanesOnSignals(): void {
  const signals: Record<string, number> = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 };
  for (const [signal, number] of Object.entries(signals)) {
    process.once(signal, () => {
      killOwnedPlanesNow();
      process.exit(128 + number);
    });
  }
}

let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", killOwnedPlanesNow);
}

/** Synchronous last-resort teardown, safe inside an 'exit' handler. */
function killOwnedPlanesNow(): void {
  for (const stateFile of ownedStateFiles) {
    try {
      const state = readPlaneState(stateFile);
      for (const name of COMPONENTS) {
        const pid = state.pids[name];
        if (pid !== undefined) killProcessGroupNow(pid);
      }
      if (state.removeOnStop) removePlaneDirs(state);
    } catch {
      // best effort: nothing more can be done while exiting
    }
  }
  ownedStateFiles.clear();
}

function preparePlaneDir(dir: string | undefined): string {
  if (dir === undefined) return mkdtempSync(join(tmpdir(), PLANE_DIR_PREFIX));
  mkdirSync(dir, { recursive: true });
  if (readdirSync(dir).length > 0) throw new Error(`plane directory ${dir} is not empty`);
  return dir;
}

/** etcd data on tmpfs when there is one (fsync is off anyway; this saves disk I/O). */
function etcdDataDirFor(planeDir: string): string {
  try {
    accessSync("/dev/shm", constants.W_OK);
    return mkdtempSync("/dev/shm/cpuid-fleet-etcd-");
  } catch {
    return join(planeDir, "etcd-data");
  }
}
