// How the agent package and the Debian root choose what they take: the
// compiled modules one entry loads, the npm packages those need (Node's
// lookup over package-lock.json), and the Debian mirror from apt's sources.

import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mirrorFromAptSources } from "../../../devenv/toolchain/debian-root.ts";
import { lockClosure } from "../../../scripts/agent-package/lock-closure.ts";
import { importSpecifiers, moduleGraph, packageName } from "../../../scripts/agent-package/module-graph.ts";

describe("module graph", () => {
  it("reads static, re-export, side-effect and dynamic imports, with import attributes", () => {
    const code = [
      'import { a } from "./a.js";',
      'export { b } from "../b.js";',
      'import "side-effect";',
      'const v = (await import("../package.json", { with: { type: "json" } })).default;',
      'import x, { y } from "@scope/pkg/sub";',
      'const s = "import fake from \'nope\'";',
    ].join("\n");
    expect(importSpecifiers(code).sort()).toEqual(["../b.js", "../package.json", "./a.js", "@scope/pkg/sub", "side-effect"]);
    expect(packageName("@scope/pkg/sub")).toBe("@scope/pkg");
    expect(packageName("pino/file")).toBe("pino");
  });

  it("follows relative imports from the entry and collects the packages, leaving out node: built-ins and unreached files", () => {
    const dir = mkdtempSync(join(tmpdir(), "graph-"));
    mkdirSync(join(dir, "agent"));
    writeFileSync(join(dir, "agent", "main.js"), 'import { a } from "../shared/a.js";\nimport { readFileSync } from "node:fs";\nimport { pino } from "pino";\n');
    mkdirSync(join(dir, "shared"));
    writeFileSync(join(dir, "shared", "a.js"), 'import { z } from "zod";\nexport const a = (await import("./b.js")).b;\n');
    writeFileSync(join(dir, "shared", "b.js"), "export const b = 1;\n");
    writeFileSync(join(dir, "shared", "unused.js"), 'import "@kubernetes/client-node";\n');
    const graph = moduleGraph(join(dir, "agent", "main.js"));
    expect(graph.files.map((f) => f.slice(dir.length + 1))).toEqual(["agent/main.js", "shared/a.js", "shared/b.js"]);
    expect(graph.packages).toEqual(["pino", "zod"]);
  });

  it("names a missing import", () => {
    const dir = mkdtempSync(join(tmpdir(), "graph-"));
    writeFileSync(join(dir, "main.js"), 'import "./gone.js";\n');
    expect(() => moduleGraph(join(dir, "main.js"))).toThrow(`${join(dir, "gone.js")} is imported but missing (run npm run build)`);
  });
});

describe("lock closure", () => {
  const lock = {
    packages: {
      "": { dependencies: { pino: "1", zod: "1", big: "1" } },
      "node_modules/pino": { dependencies: { "sonic-boom": "^4", "thread-stream": "^3" }, optionalDependencies: { absent: "1" } },
      "node_modules/sonic-boom": { dependencies: { "atomic-sleep": "1" } },
      "node_modules/atomic-sleep": {},
      "node_modules/thread-stream": { dependencies: { "sonic-boom": "^3" } },
      "node_modules/thread-stream/node_modules/sonic-boom": { dependencies: { "atomic-sleep": "1" } },
      "node_modules/zod": { peerDependencies: { pino: "1" } },
      "node_modules/big": { dependencies: { huge: "1" } },
      "node_modules/huge": {},
    },
  };

  it("takes each package's nearest copy up the node_modules chain, skips optional ones not installed and what no root needs", () => {
    expect(lockClosure(lock, ["pino", "zod"])).toEqual([
      "node_modules/atomic-sleep",
      "node_modules/pino",
      "node_modules/sonic-boom",
      "node_modules/thread-stream",
      "node_modules/thread-stream/node_modules/sonic-boom",
      "node_modules/zod",
    ]);
  });

  it("names a required package that is not installed", () => {
    expect(() => lockClosure({ packages: { "node_modules/a": { dependencies: { gone: "1" } } } }, ["a"])).toThrow("gone (needed by node_modules/a) is not in package-lock.json");
  });
});

describe("Debian mirror from apt sources", () => {
  it("reads deb822 stanzas and one-line entries, skipping other suites and deb-src", () => {
    const deb822 = "Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\n\nTypes: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n";
    expect(mirrorFromAptSources([deb822])).toBe("http://mirror.example/debian");
    expect(mirrorFromAptSources(["deb-src http://src.example/debian bookworm main\ndeb [arch=amd64] http://one.example/debian bookworm main\n"])).toBe("http://one.example/debian");
    expect(mirrorFromAptSources(["deb http://old.example/debian bullseye main\n"])).toBeUndefined();
  });
});
