// The controller runs with deploy/'s least-privilege roles only: a
// certificate identity with no groups, bound to the ClusterRole and the
// leader-election Role exactly as rendered by `kubectl kustomize deploy/base`.

import { type ControllerProcess, LEASE_NAMESPACE } from "../../../devenv/daemons/controller.ts";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attachPlane, kubectl } from "../../harness/context.ts";
import {
  startController,
  SAPPHIRE_RAPIDS,
  applyDomainPolicy,
  condition,
  createDomain,
  ensureNamespace,
  eventsFor,
  eventually,
  kubectlOk,
  startSimHost,
  waitForDomainPolicy,
  type SimHost,
} from "../../e2e/fleet.ts";
import { REPO_ROOT } from "../../../devenv/repo-root.ts";

const USER = "cpuid-controller-rbac";
const NS = "rbac-test";
let userKubeconfig: string;
let controller: ControllerProcess;
let host: SimHost;

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  subjects?: unknown[];
  rules?: unknown[];
}

async function renderedRbac(): Promise<K8sObject[]> {
  const text = await kubectlOk(["kustomize", `${REPO_ROOT}/deploy/base`]);
  const objects = parseAllDocuments(text).map((d) => d.toJS() as K8sObject);
  return objects.filter((o) => ["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"].includes(o.kind));
}

beforeAll(async () => {
  await Promise.all([ensureNamespace(NS), ensureNamespace(LEASE_NAMESPACE)]);
  userKubeconfig = attachPlane().addUser(USER);
  // bind the deploy/ roles to the test identity instead of the ServiceAccount
  const rbac = (await renderedRbac()).map((o) =>
    o.subjects ? { ...o, subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: USER }] } : o,
  );
  expect(rbac.map((o) => o.kind).sort()).toEqual(["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"]);
  await kubectlOk(["apply", "-f", "-"], { stdin: rbac.map((o) => JSON.stringify(o)).join("\n") });
  host = await startSimHost("rbac-host", SAPPHIRE_RAPIDS);
  await createDomain(host, "vm-rbac", "created");
  controller = await startController("rbac-1", { kubeconfig: userKubeconfig });
});

afterAll(async () => {
  await controller?.stop();
  await host?.agent.stop();
});

describe("controller RBAC", () => {
  it("reconciles, mirrors hosts, records events and leads with only the deploy/ roles", async () => {
    await eventually("leads", async () => expect(await controller.isLeader()).toBe(true));
    await applyDomainPolicy("rbac", NS, { host: host.hostId, domain: "vm-rbac", guestType: "hvm", disable: ["rdrand"] });
    const obj = await waitForDomainPolicy("rbac", NS, "Ready", (o) => condition(o, "Ready")?.status === "True");
    expect(obj.metadata.finalizers ?? []).toEqual([]);
    await eventually("host mirrored and labelled", async () =>
      expect(JSON.parse(await kubectlOk(["get", "hcp", host.hostId, "-o", "json"])).metadata.labels?.["cpuidfleet.io/vendor"]).toBe("intel"),
    );
    expect((await eventsFor("rbac", NS)).map((e) => e.reason)).toContain("Applied");
    const lease = JSON.parse(await kubectlOk(["get", "lease", "cpuid-fleet-controller", "-n", LEASE_NAMESPACE, "-o", "json"]));
    expect(lease.spec.holderIdentity).toBe("rbac-1");
    // deletion: the domain goes back to the host default, with an event on the deleted policy
    await kubectlOk(["delete", "dcp", "rbac", "-n", NS, "--timeout=20s"]);
    await eventually("reset event", async () => expect((await eventsFor("rbac", NS)).map((e) => e.reason)).toContain("ResetToDefault"));
    // RBAC denials only: the shared plane's other tests delete namespaces, and
    // events into a terminating namespace are "forbidden" too (NamespaceTerminating)
    expect(controller.log()).not.toMatch(/forbidden: User /);
  });

  it("the identity is refused everything else", async () => {
    const as = (args: string[]) => kubectl(args, { kubeconfig: userKubeconfig });
    const refused = async (args: string[]) => {
      const r = await as(args);
      expect(r.status, `kubectl ${args.join(" ")} should be refused`).not.toBe(0);
      expect(r.stderr).toMatch(/forbidden/i);
    };
    await refused(["get", "secrets", "-A"]);
    await refused(["get", "dcp", "-n", NS, "rbac-missing"]);
    await refused(["delete", "dcp", "anything", "-n", NS]);
    await refused(["create", "namespace", "rbac-escalate"]);
    await refused(["get", "lease", "some-other-lease", "-n", LEASE_NAMESPACE]);
    await refused(["get", "lease", "cpuid-fleet-controller", "-n", "default"]);
    const canI = async (verb: string, resource: string, ns?: string, ...flags: string[]) =>
      (await as(["auth", "can-i", verb, resource, ...(ns ? ["-n", ns] : []), ...flags])).stdout.trim();
    expect(await canI("list", "domaincpuidpolicies.cpuidfleet.io", NS)).toBe("yes");
    expect(await canI("patch", "domaincpuidpolicies.cpuidfleet.io", NS, "--subresource=status")).toBe("yes");
    expect(await canI("create", "events.events.k8s.io", NS)).toBe("yes");
    expect(await canI("create", "events", NS)).toBe("no");
    expect(await canI("update", "domaincpuidpolicies.cpuidfleet.io", NS)).toBe("no");
    // no finalizer: the controller cannot touch a policy's spec or metadata at all
    expect(await canI("patch", "domaincpuidpolicies.cpuidfleet.io", NS)).toBe("no");
    expect(await canI("delete", "domaincpuidpolicies.cpuidfleet.io", NS)).toBe("no");
    // pools: read, status, and the level annotation; never create, update or delete
    expect(await canI("watch", "cpuidpools.cpuidfleet.io")).toBe("yes");
    expect(await canI("patch", "cpuidpools.cpuidfleet.io", undefined, "--subresource=status")).toBe("yes");
    expect(await canI("patch", "cpuidpools.cpuidfleet.io")).toBe("yes");
    for (const verb of ["create", "update", "delete"]) expect(await canI(verb, "cpuidpools.cpuidfleet.io")).toBe("no");
    expect(await canI("patch", "hostcpuidpolicies.cpuidfleet.io")).toBe("yes");
    expect(await canI("update", "hostcpuidpolicies.cpuidfleet.io")).toBe("no");
    // rollouts: read, status, the finalizer; never create, update or delete; namespaces only listed
    expect(await canI("watch", "cpuidrollouts.cpuidfleet.io")).toBe("yes");
    expect(await canI("patch", "cpuidrollouts.cpuidfleet.io", undefined, "--subresource=status")).toBe("yes");
    for (const verb of ["create", "update", "delete"]) expect(await canI(verb, "cpuidrollouts.cpuidfleet.io")).toBe("no");
    expect(await canI("list", "namespaces")).toBe("yes");
    for (const verb of ["get", "patch", "create", "delete"]) expect(await canI(verb, "namespaces")).toBe("no");
  });
});
