// A request (feature names, serialised policy) a person must fix. Its own
// module so that building a request does not load the zod schemas that parse one.

export class RequestError extends Error {
  override name = "RequestError";
}
