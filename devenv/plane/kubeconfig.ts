// A kubeconfig with everything inline (CA, client cert and key as base64
// `*-data`), so the file alone is enough for kubectl and client-node.

import { stringify } from "yaml";

export interface KubeconfigInput {
  server: string;
  caPem: string;
  clientCertPem: string;
  clientKeyPem: string;
  user: string;
  contextName?: string;
}

export function renderKubeconfig(input: KubeconfigInput): string {
  const context = input.contextName ?? "cpuid-fleet";
  const b64 = (pem: string) => Buffer.from(pem, "utf8").toString("base64");
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: context, cluster: { server: input.server, "certificate-authority-data": b64(input.caPem) } }],
    users: [
      {
        name: input.user,
        user: { "client-certificate-data": b64(input.clientCertPem), "client-key-data": b64(input.clientKeyPem) },
      },
    ],
    contexts: [{ name: context, context: { cluster: context, user: input.user, namespace: "default" } }],
    "current-context": context,
  });
}
