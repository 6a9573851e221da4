import { describe, expect, it } from "vitest";
import { ConfigError, controllerOptions, loadOptions, USAGE } from "../../../controller/config.ts";

describe("controller options", () => {
  it("takes flags over environment over defaults", () => {
    const o = loadOptions(["--workers=3", "--metrics-listen", "127.0.0.1:0"], {
      CPUID_FLEET_CONTROLLER_NATS_URL: "nats://n:4222",
      CPUID_FLEET_CONTROLLER_WORKERS: "7",
      CPUID_FLEET_CONTROLLER_IDENTITY: "pod-a",
      CPUID_FLEET_CONTROLLER_LEASE_NAMESPACE: "ops",
      CPUID_FLEET_CREDS_DIR: "/creds",
    });
    expect(o).toMatchObject({
      workers: 3,
      natsUrl: "nats://n:4222",
      identity: "pod-a",
      leaseNamespace: "ops",
      natsSeedFile: "/creds/controller.nk",
      metricsListen: { host: "127.0.0.1", port: 0 },
      leaseDurationSeconds: 15,
      renewDeadlineSeconds: 10,
    });
  });

  it("names the flag and variable of a bad value, and rejects a renew deadline not shorter than the lease", () => {
    expect(() => loadOptions(["--resync=soon"], {})).toThrow(/--resync \/ CPUID_FLEET_CONTROLLER_RESYNC = "soon"/);
    expect(() => loadOptions(["--no-such-flag"], {})).toThrow(ConfigError);
    expect(() => loadOptions(["--metrics-listen=0.0.0.0:70000"], {})).toThrow(/port must be at most 65535/);
    expect(() => loadOptions(["--lease-duration=5", "--renew-deadline=5"], {})).toThrow(/--renew-deadline must be shorter/);
    expect(() => loadOptions([], { CPUID_FLEET_CONTROLLER_HOSTS_BUCKET_REPLICAS: "0" })).toThrow(/--hosts-bucket-replicas \/ CPUID_FLEET_CONTROLLER_HOSTS_BUCKET_REPLICAS = "0"/);
    expect(loadOptions(["--hosts-bucket-replicas=3"], {}).hostsBucketReplicas).toBe(3);
    expect(loadOptions([], {}).hostsBucketReplicas).toBe(1);
  });

  it("takes the NATS TLS files, and a client certificate only with its key", () => {
    const o = loadOptions(["--nats-ca-file=/tls/ca.crt", "--nats-cert-file=/tls/controller.crt"], { CPUID_FLEET_CONTROLLER_NATS_KEY_FILE: "/tls/controller.key" });
    expect(o).toMatchObject({ natsCaFile: "/tls/ca.crt", natsCertFile: "/tls/controller.crt", natsKeyFile: "/tls/controller.key" });
    expect(() => loadOptions(["--nats-cert-file=/tls/controller.crt"], {})).toThrow(/--nats-cert-file needs --nats-key-file \(CPUID_FLEET_CONTROLLER_NATS_KEY_FILE\)/);
    expect(() => loadOptions([], { CPUID_FLEET_CONTROLLER_NATS_KEY_FILE: "/k" })).toThrow(/--nats-key-file needs --nats-cert-file/);
  });

  it("gives in-process callers defaults for everything they leave out", () => {
    const o = controllerOptions({ natsUrl: "nats://x:1", workers: 2 });
    expect(o.workers).toBe(2);
    expect(o.identity).toMatch(/-\d+-[0-9a-f]{6}$/);
    expect(o.leaseName).toBe("cpuid-fleet-controller");
  });

  it("documents every option with its variable", () => {
    for (const flag of ["--kubeconfig", "--nats-url", "--lease-duration", "--resync"]) expect(USAGE).toContain(flag);
    expect(USAGE).toMatch(/--nats-seed-file +CPUID_FLEET_CONTROLLER_NATS_SEED_FILE/);
    expect(USAGE).toContain("(default <hostname>-<pid>-<random>)");
  });
});
