// kubectl's global flags (--kubeconfig, --context, -n/--namespace) for
// cpuidctl and `kubectl cpuid`. kubectl hands a plugin every argument after
// the plugin's name unchanged, so these may appear anywhere in argv; the CLI
// front takes them out before the command table sees the rest.

import { UsageError } from "./command.ts";

export interface KubeTarget {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

export const KUBE_USAGE = `Kubernetes (as kubectl; also when run as \`kubectl cpuid\`):
  --kubeconfig <file>     default $KUBECONFIG, else ~/.kube/config
  --context <name>        a context of that kubeconfig (default its current one)
  -n, --namespace <ns>    namespace of objects that name none (default the context's)`;

const FLAGS: Readonly<Record<string, keyof KubeTarget>> = {
  "--kubeconfig": "kubeconfig",
  "--context": "context",
  "--namespace": "namespace",
  "-n": "namespace",
};

/** Splits kubectl's global flags (`--flag value` or `--flag=value`) from the rest of argv, which keeps its order. */
export function takeKubeFlags(argv: readonly string[]): { target: KubeTarget; rest: string[] } {
  const target: KubeTarget = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf("=");
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const key = Object.hasOwn(FLAGS, flag) ? FLAGS[flag] : undefined;
    if (!key) {
      rest.push(arg);
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === "") throw new UsageError(`${flag} needs a value`);
    target[key] = value;
  }
  return { target, rest };
}

/** True when the user pointed at a cluster: a flag, $KUBECONFIG, or running as `kubectl cpuid`. */
export function clusterRequested(target: KubeTarget, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(target.kubeconfig || target.context || env.KUBECONFIG || env.CPUIDCTL_KUBECTL_PLUGIN);
}
