// The fault scenario's wire (bench/chaos/scenario.ts with wire faults):
// toxiproxy between the agents and nats-server, between the controllers and
// nats-server, and between the controllers and the kube-apiserver, and the
// two faults it injects on them for a while:
//   slow  latency (100 ± 50 ms) and a bandwidth limit (256 KB/s) on every path
//   drop  the agents' connections reset (reset_peer on half of them), apiserver
//         connections stalled until closed (timeout on 30 %), and every agent's
//         and controller's NATS connection cut for a few seconds

import { setTimeout as sleep } from "node:timers/promises";
import { hostPort, proxiedKubeconfig, type Toxic, Toxiproxy } from "../../devenv/toxiproxy.ts";

export interface WirePathsOptions {
  toxiproxyBinary: string;
  natsUrl: string;
  apiserverUrl: string;
  /** the kubeconfig whose server is swapped for the apiserver proxy */
  kubeconfig: string;
}

const AGENTS = "agents-nats";
const CONTROLLER = "controller-nats";
const APISERVER = "apiserver";
/** How long the NATS paths stay cut during a drop. */
const CUT_SECONDS = 3;

export class WirePaths {
  readonly agentsNatsUrl: string;
  readonly controllerNatsUrl: string;
  readonly controllerKubeconfig: string;
  readonly #proxy: Toxiproxy;

  private constructor(proxy: Toxiproxy, agentsNatsUrl: string, controllerNatsUrl: string, controllerKubeconfig: string) {
    this.#proxy = proxy;
    this.agentsNatsUrl = agentsNatsUrl;
    this.controllerNatsUrl = controllerNatsUrl;
    this.controllerKubeconfig = controllerKubeconfig;
  }

  static async start(o: WirePathsOptions): Promise<WirePaths> {
    const proxy = await Toxiproxy.start(o.toxiproxyBinary);
    const agents = await proxy.createProxy(AGENTS, hostPort(o.natsUrl));
    const controller = await proxy.createProxy(CONTROLLER, hostPort(o.natsUrl));
    const apiserver = await proxy.createProxy(APISERVER, hostPort(o.apiserverUrl));
    return new WirePaths(proxy, `nats://${agents.listen}`, `nats://${controller.listen}`, proxiedKubeconfig(o.kubeconfig, apiserver.listen));
  }

  /** Latency and a bandwidth limit on every path for `seconds`. */
  async slow(seconds: number): Promise<string> {
    const toxics: Toxic[] = [
      { name: "latency", spec: { type: "latency", attributes: { latency: 100, jitter: 50 } } },
      { name: "bandwidth", spec: { type: "bandwidth", attributes: { rate: 256 } } },
    ];
    await this.#during(seconds, [AGENTS, CONTROLLER, APISERVER].flatMap((p) => toxics.map((t) => [p, t] as const)));
    return `latency 100 ± 50 ms and 256 KB/s on every path for ${seconds} s`;
  }

  /** Resets, stalls and cuts for `seconds`. */
  async drop(seconds: number): Promise<string> {
    await this.#during(
      seconds,
      [
        [AGENTS, { name: "reset", stream: "upstream", toxicity: 0.5, spec: { type: "reset_peer", attributes: { timeout: 2_000 } } }],
        [APISERVER, { name: "timeout", toxicity: 0.3, spec: { type: "timeout", attributes: { timeout: 3_000 } } }],
      ],
      async () => {
        await Promise.all([AGENTS, CONTROLLER].map((p) => this.#proxy.setEnabled(p, false)));
        await sleep(CUT_SECONDS * 1000);
        await Promise.all([AGENTS, CONTROLLER].map((p) => this.#proxy.setEnabled(p, true)));
      },
    );
    return `for ${seconds} s: half the agents' NATS connections reset after 2 s, 30 % of apiserver connections stalled 3 s then closed, all NATS connections cut for ${CUT_SECONDS} s`;
  }

  stop(): Promise<void> {
    return this.#proxy.stop();
  }

  async #during(seconds: number, toxics: readonly (readonly [string, Toxic])[], meanwhile?: () => Promise<void>): Promise<void> {
    for (const [proxy, toxic] of toxics) await this.#proxy.addToxic(proxy, toxic);
    await Promise.all([sleep(seconds * 1000), meanwhile?.()]);
    for (const [proxy, toxic] of toxics) await this.#proxy.removeToxic(proxy, toxic.name);
  }
}
