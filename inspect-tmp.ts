import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { judge, readHostRecord } from "./bench/chaos/host-records.ts";
const [kc, root] = process.argv.slice(2);
const kubectl = (args: string[]) => JSON.parse(execFileSync("kubectl", ["--kubeconfig", kc, ...args, "-o", "json"], { encoding: "utf8", maxBuffer: 1 << 28 }));
const items = kubectl(["get", "dcp", "-n", "bench-chaos"]).items as any[];
const desired = items.map((o) => ({ name: o.metadata.name, uid: o.metadata.uid, generation: o.metadata.generation, host: o.spec.host, domain: o.spec.domain, hash: o.status?.policyHash }));
const hosts = new Map(kubectl(["get", "hcp"]).items.map((h: any) => [h.metadata.name, h.status?.policies?.hvm_default?.hash]));
const ids = [...new Set(desired.map((d) => d.host))];
const records = new Map(ids.map((id) => [id, readHostRecord(join(root, "agents", id))]));
const v = judge(desired, records);
console.log("lost", v.lost.length, v.lost.slice(0, 5), "twice", v.appliedTwice.length, "mis", v.misapplied.length, v.misapplied.slice(0,3));
const carries = v.notAsDesired.filter((s) => s.includes("does not name it"));
console.log("others", v.notAsDesired.filter((s) => !s.includes("does not name it")));
for (const c of carries) { const [hd] = c.split(" "); const [h, d] = hd.split("/"); const dom = records.get(h)!.domains.find((x) => x.name === d)!; const def = hosts.get(h); if ((dom.staged ?? dom.active)?.hash !== def) console.log("NOT RESET", c, "runs", dom.active?.hash.slice(-8), "default", String(def).slice(-8), "gen", dom.generation, dom.lastRequestId); }
console.log("carries", carries.length);
for (const o of items) if (!(o.status?.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True") || o.status?.observedGeneration !== o.metadata.generation) console.log("not ready", o.metadata.name, o.metadata.generation, o.status?.observedGeneration, JSON.stringify(o.status?.conditions?.map((c: any) => [c.type, c.status, c.reason, c.message?.slice(0, 150)])));
