// A TLS handshake with a NATS server the way its clients make one (plaintext
// INFO, then TLS on the same socket), made before connecting so that a
// refused client certificate is reported as such. With TLS 1.3 the server
// refuses a client certificate only after the client considers the
// handshake done, and the NATS client then reports nothing better than a
// connect timeout; here the server's alert is read directly.

import { readFileSync } from "node:fs";
import { connect as tcpConnect, isIP } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { natsTlsError, NatsTlsError, NO_TLS_MESSAGE, type NatsTls } from "./tls.ts";

const DEFAULT_PORT = 4222;
const CHECK_TIMEOUT_MS = 5_000;

/** The TLS problem with the first server that answers; undefined when the handshake works or none answers. */
export async function checkTlsHandshake(servers: readonly string[], tls: NatsTls): Promise<NatsTlsError | undefined> {
  for (const server of servers) {
    const outcome = await handshake(server, tls);
    if (outcome !== "unreachable") return outcome;
  }
  return undefined;
}

function handshake(server: string, tls: NatsTls): Promise<NatsTlsError | undefined | "unreachable"> {
  const { hostname, port } = new URL(server.includes("://") ? server.replace(/^[a-z]+:/, "nats:") : `nats://${server}`);
  const host = hostname.replace(/^\[|\]$/g, "");
  return new Promise((resolve) => {
    const socket = tcpConnect(Number(port || DEFAULT_PORT), host);
    let info = "";
    const finish = (outcome: NatsTlsError | undefined | "unreachable") => {
      clearTimeout(deadline);
      socket.destroy();
      resolve(outcome);
    };
    // a timer of its own: the plain socket sees no activity once TLS has taken it over
    const deadline = setTimeout(() => finish(undefined), CHECK_TIMEOUT_MS);
    socket.once("error", () => finish("unreachable"));
    socket.on("data", (chunk: Buffer) => {
      info += chunk.toString("latin1");
      if (!info.includes("\r\n")) return;
      socket.removeAllListeners("data");
      const offered = /"tls_(required|available)"\s*:\s*true/.test(info);
      if (!offered) return finish(new NatsTlsError(NO_TLS_MESSAGE));
      const secure = tlsConnect({
        socket,
        host,
        ...(isIP(host) ? {} : { servername: host }),
        ...(tls.caFile ? { ca: readFileSync(tls.caFile) } : {}),
        ...(tls.certFile && tls.keyFile ? { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) } : {}),
      });
      secure.once("error", (err) => finish(natsTlsError(err, tls)));
      // the server answers the first bytes after the handshake: data if it accepted the certificate, an alert if not
      secure.once("secureConnect", () => secure.write("PING\r\n"));
      secure.once("data", () => finish(undefined));
      secure.once("close", () => finish(undefined));
    });
  });
}
