// Converts a JSON Schema produced by zod 4's `z.toJSONSchema` into a
// Kubernetes structural OpenAPI v3 schema (apiextensions.k8s.io/v1):
// no `$schema`, no `additionalProperties: false` (pruning does that job), no
// `propertyNames` of plain string records,
// enum-keyed records become plain optional properties, integers lose zod's
// ±2^53 bounds and get `format: int64`, date-times keep only the format, and
// an integer-or-string union becomes `x-kubernetes-int-or-string`.

export type JsonSchema = { [key: string]: unknown };

const SAFE_INTEGER_BOUND = Number.MAX_SAFE_INTEGER;

export function toStructuralSchema(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "$schema" || key === "$id") continue;
    if (key === "additionalProperties" && value === false) continue;
    // string-keyed records (label maps): every key is a string anyway, and CRDs have no propertyNames
    if (key === "propertyNames" && isObject(value) && Object.keys(value).length === 1 && value.type === "string") continue;
    out[key] = value;
  }

  if (isEnumKeyedRecord(out)) return enumRecordAsProperties(out);

  if (out.type === "integer") {
    if (out.minimum === -SAFE_INTEGER_BOUND) delete out.minimum;
    if (out.maximum === SAFE_INTEGER_BOUND) delete out.maximum;
    out.format = "int64";
  }
  if (out.type === "string" && out.format === "date-time") delete out.pattern;

  if (isObject(out.properties)) {
    out.properties = Object.fromEntries(
      Object.entries(out.properties).map(([name, sub]) => [name, toStructuralSchema(sub as JsonSchema)]),
    );
  }
  if (isObject(out.items)) out.items = toStructuralSchema(out.items);
  if (isObject(out.additionalProperties)) out.additionalProperties = toStructuralSchema(out.additionalProperties);
  if (isIntOrString(out)) return { "x-kubernetes-int-or-string": true, ...(out.description ? { description: out.description } : {}), ...(out.default !== undefined ? { default: out.default } : {}) };
  for (const combinator of ["anyOf", "oneOf", "allOf"]) {
    if (combinator in out) throw new Error(`${combinator} is not structural; restate the zod schema without unions`);
  }
  return out;
}

/** A union of an integer and a string (say, a count or a percentage) is Kubernetes' IntOrString; the controller checks the value. */
function isIntOrString(s: JsonSchema): boolean {
  const branches = s.anyOf;
  if (!Array.isArray(branches) || branches.length !== 2) return false;
  const types = branches.map((b) => (isObject(b) ? b.type : undefined)).sort();
  return types[0] === "integer" && types[1] === "string";
}

function isEnumKeyedRecord(s: JsonSchema): boolean {
  const names = s.propertyNames as JsonSchema | undefined;
  return s.type === "object" && isObject(names) && Array.isArray(names.enum) && isObject(s.additionalProperties);
}

function enumRecordAsProperties(s: JsonSchema): JsonSchema {
  const keys = (s.propertyNames as { enum: string[] }).enum;
  const value = toStructuralSchema(s.additionalProperties as JsonSchema);
  const { propertyNames: _n, additionalProperties: _a, required: _r, ...rest } = s;
  return { ...rest, properties: Object.fromEntries(keys.map((k) => [k, value])) };
}

function isObject(v: unknown): v is JsonSchema {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
