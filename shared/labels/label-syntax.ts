// Kubernetes label syntax: a key is an optional DNS-subdomain prefix and "/"
// then a name of up to 63 characters; a value is empty or up to 63
// alphanumerics with '-', '_', '.' inside. Errors name the label and the rule.

const NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function labelKeyError(key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !PREFIX.test(prefix))) return `label key ${JSON.stringify(key)}: prefix must be a DNS subdomain of at most 253 characters`;
  if (name.length > 63 || !NAME.test(name))
    return `label key ${JSON.stringify(key)}: name must be 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  return undefined;
}

export function labelValueError(key: string, value: string): string | undefined {
  if (value === "" || (value.length <= 63 && NAME.test(value))) return undefined;
  return `label ${key}=${JSON.stringify(value)}: value must be empty or 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
}

/** Every syntax error in a label set. */
export function labelErrors(labels: Readonly<Record<string, string>>): string[] {
  const errors: string[] = [];
  for (const [k, v] of Object.entries(labels)) {
    const e = labelKeyError(k) ?? labelValueError(k, v);
    if (e) errors.push(e);
  }
  return errors;
}
