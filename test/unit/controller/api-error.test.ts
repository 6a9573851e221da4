import { ApiException } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { describeApiError, httpStatusOf, retryAfterMs } from "../../../controller/kube/api-error.ts";
import { KubeRequestError } from "../../../controller/kube/kube-rest.ts";

const STATUS = { kind: "Status", apiVersion: "v1", status: "Failure", message: "storage is (re)initializing", reason: "TooManyRequests", code: 429 };
/** client-node's exception for an answer it has no model for: the body as text, the whole answer in the message */
const unmodelled = (code: number, body: string, headers: Record<string, string> = {}) =>
  new ApiException(code, `HTTP-Code: ${code}\nMessage: Unknown API Status Code!\nBody: ${JSON.stringify(body)}\nHeaders: ${JSON.stringify(headers)}`, body, headers);

describe("httpStatusOf", () => {
  it("reads the status of either client's error, and nothing else", () => {
    expect(httpStatusOf(unmodelled(429, JSON.stringify(STATUS)))).toBe(429);
    expect(httpStatusOf(new KubeRequestError("PATCH /x: HTTP 404", 404, {}, {}))).toBe(404);
    expect(httpStatusOf(Object.assign(new Error("refused"), { code: "ECONNREFUSED" }))).toBeUndefined();
  });
});

describe("retryAfterMs", () => {
  const tooMany = (retryAfter?: string) => unmodelled(429, "", retryAfter === undefined ? {} : { "retry-after": retryAfter });

  it("reads the seconds form in either header case; 0 when absent or not a positive number", () => {
    expect(retryAfterMs(tooMany("3"))).toBe(3_000);
    expect(retryAfterMs({ headers: { "Retry-After": "1" } })).toBe(1_000);
    expect(retryAfterMs(tooMany())).toBe(0);
    expect(retryAfterMs(tooMany("Wed, 21 Oct 2015 07:28:00 GMT"))).toBe(0);
    expect(retryAfterMs(tooMany("-1"))).toBe(0);
    expect(retryAfterMs(new Error("plain"))).toBe(0);
  });
});

describe("describeApiError", () => {
  it("names client-node's refusal by its status and the apiserver's message, not the whole answer", () => {
    expect(describeApiError(unmodelled(429, JSON.stringify(STATUS), { "retry-after": "1" }))).toBe("HTTP 429: storage is (re)initializing");
  });

  it("reads a body client-node has already parsed", () => {
    expect(describeApiError(new ApiException(403, "HTTP-Code: 403", { ...STATUS, code: 403, message: 'leases.coordination.k8s.io "x" is forbidden' }, {}))).toBe(
      'HTTP 403: leases.coordination.k8s.io "x" is forbidden',
    );
  });

  it("gives the start of a body that is not a Status, and just the status when there is none", () => {
    expect(describeApiError(unmodelled(502, "<html>bad gateway</html>"))).toBe("HTTP 502: <html>bad gateway</html>");
    expect(describeApiError(unmodelled(503, ""))).toBe("HTTP 503");
  });

  it("keeps the message of any other error, which already names the request", () => {
    expect(describeApiError(new KubeRequestError("PATCH /apis/x: HTTP 409: conflict", 409, {}, {}))).toBe("PATCH /apis/x: HTTP 409: conflict");
    expect(describeApiError(new Error("connect ECONNREFUSED 127.0.0.1:6443"))).toBe("connect ECONNREFUSED 127.0.0.1:6443");
    expect(describeApiError("a string")).toBe("a string");
  });
});
