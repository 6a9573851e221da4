// nats-server configuration for the local plane and the local NATS servers
// (nats-servers.ts): loopback listener, monitor port, JetStream with a file
// store, the fleet's authorization block, and optionally cluster routes and
// TLS (client port and routes alike).

import { renderServerTls, type ServerTls } from "../../shared/nats/server-tls.ts";
import { LOOPBACK } from "./ports.ts";

export interface NatsServerConfigInput {
  /** unique within a cluster; default "cpuid-fleet-local" */
  serverName?: string;
  port: number;
  monitorPort: number;
  storeDir: string;
  /** `authorization { … }` text, see shared/nats/authorization.ts. */
  authorization: string;
  /** routes to the other servers of a JetStream cluster */
  cluster?: { name: string; port: number; routePorts: readonly number[] };
  tls?: ServerTls;
}

export function renderNatsServerConfig(input: NatsServerConfigInput): string {
  return [
    `server_name: ${JSON.stringify(input.serverName ?? "cpuid-fleet-local")}`,
    `listen: "${LOOPBACK}:${input.port}"`,
    `http: "${LOOPBACK}:${input.monitorPort}"`,
    `jetstream {`,
    `  store_dir: ${JSON.stringify(input.storeDir)}`,
    `  max_memory_store: 64MB`,
    `  max_file_store: 1GB`,
    `}`,
    ...(input.tls ? [renderServerTls(input.tls)] : []),
    ...(input.cluster ? renderCluster(input.cluster, input.tls) : []),
    input.authorization,
  ].join("\n");
}

function renderCluster(cluster: NonNullable<NatsServerConfigInput["cluster"]>, tls: ServerTls | undefined): string[] {
  return [
    `cluster {`,
    `  name: ${JSON.stringify(cluster.name)}`,
    `  listen: "${LOOPBACK}:${cluster.port}"`,
    `  routes: [${cluster.routePorts.map((p) => JSON.stringify(`nats-route://${LOOPBACK}:${p}`)).join(", ")}]`,
    ...(tls ? [renderServerTls(tls, "  ")] : []),
    `}`,
  ];
}
