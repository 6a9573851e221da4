// The request ids the controller puts on set requests. Agents store them
// opaquely with the domain; the reset sweep reads the resource uid back from
// one to tell a domain a controller request configured (whose record lost its
// resourceUid) from one an operator configured directly.

export function policyRequestId(resourceUid: string | undefined, generation: number, policyHash: string): string {
  return `${resourceUid}/${generation}/${policyHash.slice(-12)}`;
}

export function resetRequestId(resourceUid: string): string {
  return `${resourceUid}/reset`;
}

/** The resource uid in a request id this controller made, or undefined for any other id. */
export function resourceUidOfRequestId(requestId: string): string | undefined {
  const m = /^([^/]+)\/(?:\d+\/[^/]+|reset)$/.exec(requestId);
  return m && m[1] !== "undefined" ? m[1] : undefined;
}
