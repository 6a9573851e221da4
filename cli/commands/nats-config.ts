// cpuidctl nats config --hosts <id…> --out <dir> [--tls-dir <dir> [--tls-names <names>]]

import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { EXIT_OK, UsageError, type Command } from "../command.ts";
import { parseCommandArgs } from "../policy-args.ts";
import { renderAuthorization } from "../../shared/nats/authorization.ts";
import { hostToken } from "../../shared/nats/subjects.ts";
import { ensureFleetIdentities } from "../../runtime/nats/identities.ts";
import { ensureFleetCertificates } from "../../runtime/nats/dev-certificates.ts";
import { OpensslError } from "../../runtime/tls/openssl-ca.ts";
import { renderServerTls } from "../../shared/nats/server-tls.ts";

export const AUTHORIZATION_FILE = "authorization.conf";
export const TLS_FILE = "tls.conf";
const DEFAULT_TLS_NAMES = "localhost,127.0.0.1";

const usage = `usage: cpuidctl nats config --hosts <id> [<id>…] --out <dir>
                          [--tls-dir <dir> [--tls-names <name,…>]]

Writes the nats-server authorization block for the fleet and one nkey per
identity (existing keys in <dir> are kept, so re-running with more hosts only
adds keys):

  <dir>/${AUTHORIZATION_FILE}      include it from nats-server.conf: include "${AUTHORIZATION_FILE}"
  <dir>/admin.nk                unrestricted (bucket setup, debugging)
  <dir>/controller.nk           the controller
  <dir>/hosts/<token>.nk        one per host: give each agent only its own
                                (cpuid-fleet-agent --nats-seed-file)

Each host may write only its own key in the cpuid-hosts bucket, receive only
its own requests, publish only its own heartbeat and read only its own inbox.

With --tls-dir it also writes a development CA and certificates with the
openssl command (production: issue them from your CA, e.g. cert-manager,
deploy/README.md), again keeping existing files:

  <tls-dir>/ca.crt ca.key       the CA (--nats-ca-file of every client)
  <tls-dir>/server.crt .key     the servers', for --tls-names (default ${DEFAULT_TLS_NAMES})
  <tls-dir>/admin.crt .key, controller.crt .key, hosts/<token>.crt .key
                                client certificates (--nats-cert-file, --nats-key-file)
  <dir>/${TLS_FILE}                include it from nats-server.conf: TLS required,
                                every client must present a certificate of the CA`;


const command: Command = {
  summary: "write nats-server authorization and per-host nkeys",
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs(
      args,
      { hosts: { type: "string", multiple: true }, out: { type: "string" }, "tls-dir": { type: "string" }, "tls-names": { type: "string" } },
      usage,
    );
    // `--hosts a b c`: the ids after --hosts arrive as positionals.
    const hosts = [...(values.hosts ?? []), ...positionals].flatMap((h) => h.split(",")).filter(Boolean);
    if (hosts.length === 0 || !values.out) throw new UsageError(usage);
    if (values["tls-names"] !== undefined && values["tls-dir"] === undefined) throw new UsageError("--tls-names needs --tls-dir");
    for (const h of hosts) hostToken(h);
    const out = values.out;
    mkdirSync(out, { recursive: true, mode: 0o700 });
    writeFileSync(join(out, AUTHORIZATION_FILE), renderAuthorization(ensureFleetIdentities(out, hosts)), { mode: 0o644 });
    console.log(`wrote ${join(out, AUTHORIZATION_FILE)} and nkeys for admin, controller and ${hosts.length} host(s)`);
    if (values["tls-dir"] !== undefined) writeTls(out, resolve(values["tls-dir"]), hosts, values["tls-names"] ?? DEFAULT_TLS_NAMES);
    return EXIT_OK;
  },
};

function writeTls(out: string, tlsDir: string, hosts: readonly string[], names: string): void {
  const serverNames = names.split(",").map((n) => n.trim()).filter(Boolean);
  if (serverNames.length === 0) throw new UsageError("--tls-names needs at least one DNS name or IP address");
  let files;
  try {
    files = ensureFleetCertificates(tlsDir, hosts, serverNames);
  } catch (err) {
    if (!(err instanceof OpensslError)) throw err;
    throw new UsageError(`cannot write the development certificates: ${err.message}; or issue them with cert-manager (deploy/README.md)`);
  }
  const tls = renderServerTls({ certFile: files.server.cert, keyFile: files.server.key, caFile: files.ca.cert, verify: true });
  writeFileSync(join(out, TLS_FILE), `${tls}
`, { mode: 0o644 });
  console.log(`wrote ${join(out, TLS_FILE)} and certificates in ${tlsDir} (CA, servers for ${serverNames.join(", ")}, admin, controller, ${hosts.length} host(s))`);
}

export default command;
