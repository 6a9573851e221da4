// nats-server configuration for the local plane: loopback listener, monitor
// port, JetStream with a file store, and the fleet's authorization block.

export interface NatsServerConfigInput {
  port: number;
  monitorPort: number;
  storeDir: string;
  /** `authorization { … }` text, see shared/nats/authorization.ts. */
  authorization: string;
}

export function renderNatsServerConfig(input: NatsServerConfigInput): string {
  return [
    `server_name: "cpuid-fleet-local"`,
    `listen: "127.0.0.1:${input.port}"`,
    `http: "127.0.0.1:${input.monitorPort}"`,
    `jetstream {`,
    `  store_dir: ${JSON.stringify(input.storeDir)}`,
    `  max_memory_store: 64MB`,
    `  max_file_store: 1GB`,
    `}`,
    input.authorization,
  ].join("\n");
}
