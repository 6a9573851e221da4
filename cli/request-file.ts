// The request files of `policy audit|level|explain`: a feature request or a
// full serialised policy, in JSON or YAML.

import { parse as parseYaml } from "yaml";
import { UsageError } from "./command.ts";
import { readInput } from "./policy-input.ts";
import { parseRequest, type PolicyRequest } from "../shared/request/parse-request.ts";
import { RequestError } from "../shared/request/request-error.ts";

/** A request file in JSON or YAML: a feature request or a full serialised policy. */
export function readRequest(file: string): PolicyRequest {
  return parseRequestText(readInput(file), file);
}

/** A request document's text (JSON or YAML); errors name `file`. */
export function parseRequestText(text: string, file: string): PolicyRequest {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new UsageError(`${file}: not valid JSON or YAML: ${(e as Error).message}`);
  }
  try {
    return parseRequest(doc);
  } catch (e) {
    if (e instanceof RequestError) throw new UsageError(`${file}: ${e.message}`);
    throw e;
  }
}
