import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { renderEnvFile } from "../../../devenv/env-file.ts";

describe("cluster env file", () => {
  it("exports each setting so that a shell reads it back verbatim", () => {
    const text = renderEnvFile({
      kubeconfig: "/tmp/it's here/kubeconfig",
      natsUrl: "nats://127.0.0.1:4222",
      credsDir: "/tmp/$HOME/creds",
      planeDir: "/tmp/plane dir",
      pathDirs: ["/cache/bin/kubectl-v1.34.4", "/cache/bin/etcd-v3.6.16"],
    });
    const out = execFileSync("bash", ["-c", `${text}\nprintf '%s\\n' "$KUBECONFIG" "$NATS_URL" "$CPUID_FLEET_CREDS_DIR" "$CPUID_FLEET_PLANE_DIR" "$PATH"`], {
      encoding: "utf8",
      env: { PATH: "/usr/bin:/bin" },
    });
    const [kubeconfig, natsUrl, credsDir, planeDir, path] = out.split("\n");
    expect([kubeconfig, natsUrl, credsDir, planeDir]).toEqual([
      "/tmp/it's here/kubeconfig",
      "nats://127.0.0.1:4222",
      "/tmp/$HOME/creds",
      "/tmp/plane dir",
    ]);
    expect(path).toMatch(/^\/cache\/bin\/kubectl-v1\.34\.4:\/cache\/bin\/etcd-v3\.6\.16:.*\/usr\/bin:\/bin$/);
  });
});
