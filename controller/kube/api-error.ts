// What an apiserver's refusal says, read alike from the controller's own
// requests (KubeRequestError) and client-node's (ApiException): both carry
// the HTTP status as `code` and the answer's `body` and `headers`.

import { ApiException } from "@kubernetes/client-node";
import { parseJson, reasonOf } from "./kube-rest.ts";

export function httpStatusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
}

/** The Retry-After of an apiserver error in ms (seconds form, as the apiserver sends it); 0 when absent. */
export function retryAfterMs(err: unknown): number {
  const headers = (err as { headers?: Record<string, string> }).headers;
  const value = headers?.["retry-after"] ?? headers?.["Retry-After"];
  const seconds = value === undefined ? NaN : Number(value);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
}

/**
 * An error for a log line. client-node's ApiException puts the whole answer,
 * headers included, into its message; this gives its status and the Status
 * message instead ("HTTP 429: storage is (re)initializing").
 */
export function describeApiError(err: unknown): string {
  if (!(err instanceof ApiException)) return err instanceof Error ? err.message : String(err);
  const body: unknown = err.body;
  // client-node leaves an answer it has no model for (a 429's Status among them) as text
  if (typeof body === "string") return `HTTP ${err.code}${reasonOf(parseJson(body), body)}`;
  return `HTTP ${err.code}${reasonOf(body, JSON.stringify(body) ?? "")}`;
}
