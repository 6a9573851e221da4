// Validating a JSON message received as bytes (NATS payloads, KV values):
// bytes that are not JSON fail like any other schema violation, never throw.

import type { z } from "zod";

export interface DecodeIssue {
  message: string;
  path: PropertyKey[];
}

export type Decoded<T> = { success: true; data: T } | { success: false; error: { issues: DecodeIssue[] } };

export function decodeJson<S extends z.ZodType>(schema: S, data: Uint8Array): Decoded<z.output<S>> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(data));
  } catch (e) {
    return { success: false, error: { issues: [{ message: `not valid JSON: ${(e as Error).message}`, path: [] }] } };
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? { success: true, data: parsed.data } : { success: false, error: { issues: parsed.error.issues } };
}
