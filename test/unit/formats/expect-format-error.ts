// Runs a parser that must fail and returns its FormatError (anything else fails the test).

import { expect } from "vitest";
import { FormatError } from "../../../shared/formats/format-error.ts";

export function expectFormatError(parse: () => unknown): FormatError {
  try {
    parse();
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return e as FormatError;
  }
  throw new Error("expected a FormatError");
}
