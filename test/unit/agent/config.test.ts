import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../agent/config.ts";

describe("loadConfig", () => {
  it("takes flags over environment over defaults", () => {
    const c = loadConfig(["--host-id", "flag-host", "--probe", "file", "--probe-file", "/x"], {
      CPUID_FLEET_AGENT_HOST_ID: "env-host",
      CPUID_FLEET_AGENT_BACKEND: "xen",
      CPUID_FLEET_AGENT_NATS_URL: "nats://127.0.0.1:1,nats://127.0.0.1:2",
      CPUID_FLEET_AGENT_NATS_SEED_FILE: "/creds/hosts/flag-host.nk",
    });
    expect(c).toMatchObject({
      hostId: "flag-host",
      backend: "xen",
      probe: "file",
      probeFile: "/x",
      natsServers: ["nats://127.0.0.1:1", "nats://127.0.0.1:2"],
      natsSeedFile: "/creds/hosts/flag-host.nk",
      metricsListen: { host: "0.0.0.0", port: 9464 },
      reprobeIntervalSeconds: 300,
      xenRelease: "master",
    });
  });

  it("takes the Xen release model of the linux and file probes from --xen-version, naming the accepted ones", () => {
    expect(loadConfig([], { CPUID_FLEET_AGENT_XEN_VERSION: "4.17" }).xenRelease).toBe("4.17");
    const bad = () => loadConfig(["--xen-version", "4.16"], {});
    expect(bad).toThrow(/--xen-version \/ CPUID_FLEET_AGENT_XEN_VERSION = "4.16": .*"4\.17".*"master"/);
  });

  it("names the flag, variable and value of every bad setting", () => {
    const bad = () =>
      loadConfig(["--probe", "file", "--metrics-listen", "nowhere", "--heartbeat-interval=-1"], { CPUID_FLEET_AGENT_BACKEND: "kvm" });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/--backend \/ CPUID_FLEET_AGENT_BACKEND = "kvm"/);
    expect(bad).toThrow(/--metrics-listen \/ CPUID_FLEET_AGENT_METRICS_LISTEN = "nowhere": expected host:port/);
    expect(bad).toThrow(/--heartbeat-interval .* = "-1"/);
    expect(bad).toThrow(/--probe file needs --probe-file <path> \(CPUID_FLEET_AGENT_PROBE_FILE\)/);
  });

  it("takes the NATS TLS files, and a client certificate only with its key", () => {
    const c = loadConfig(["--nats-url", "tls://nats.example:4222", "--nats-ca-file", "/tls/ca.crt", "--nats-key-file", "/tls/h.key"], { CPUID_FLEET_AGENT_NATS_CERT_FILE: "/tls/h.crt" });
    expect(c).toMatchObject({ natsServers: ["tls://nats.example:4222"], natsCaFile: "/tls/ca.crt", natsCertFile: "/tls/h.crt", natsKeyFile: "/tls/h.key" });
    expect(() => loadConfig(["--nats-key-file", "/tls/h.key"], {})).toThrow(/--nats-key-file needs --nats-cert-file \(CPUID_FLEET_AGENT_NATS_CERT_FILE\)/);
  });

  it("rejects unknown flags with the usage text", () => {
    expect(() => loadConfig(["--hots-id", "x"], {})).toThrow(/Unknown option '--hots-id'[\s\S]*usage: cpuid-fleet-agent/);
  });

  it("parses --labels into Kubernetes labels and names every bad one", () => {
    expect(loadConfig(["--labels", "rack=r1, example.com/row=3,empty="], {}).labels).toEqual({ rack: "r1", "example.com/row": "3", empty: "" });
    expect(loadConfig([], {}).labels).toEqual({});
    expect(() => loadConfig(["--labels", "rack=r1,norow"], {})).toThrow(/--labels \/ CPUID_FLEET_AGENT_LABELS = "rack=r1,norow": label "norow" has no '='/);
    const bad = () => loadConfig(["--labels", "rack=no spaces,Bad Key=x"], {});
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/label rack="no spaces": value must be/);
    expect(bad).toThrow(/label key "Bad Key": name must be/);
  });
});
