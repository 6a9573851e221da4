// Pinned versions of the external binaries the tests, the benchmarks and the
// local demo run. kube-apiserver and kubectl match @kubernetes/client-node
// 1.4 (Kubernetes 1.34); etcd is the 3.6 line Kubernetes 1.34 pins.

export const KUBERNETES_VERSION = "v1.34.4";
export const ETCD_VERSION = "v3.6.16";
export const NATS_SERVER_VERSION = "v2.15.2";
/**
 * The Prometheus release whose promtool checks and unit-tests
 * deploy/prometheus (Prometheus 3 rule and rule-test format). Its Go module
 * is tagged v0.316.0 (go-wrapper.ts: prometheusModuleVersion).
 */
export const PROMETHEUS_VERSION = "v3.16.0";
/** toxiproxy-server: the wire-fault tests and `npm run bench -- chaos --wire` put it between the daemons and their servers. */
export const TOXIPROXY_VERSION = "v2.5.0";
