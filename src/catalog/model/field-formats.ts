/**
 * The formats of the entity envelope's fields, exactly as Backstage's default validators
 * (`KubernetesValidatorFunctions`, `CommonValidatorFunctions`, `makeValidator`) define them, with
 * the wording Plinth's messages use for each.
 */

/** RFC 1123 label: 1-63 characters of [a-z0-9] separated by single dashes. */
export function isValidDnsLabel(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= 63 && /^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(value);
}

/** RFC 1123 subdomain: dot-separated DNS labels, at most 253 characters. */
export function isValidDnsSubdomain(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= 253 && value.split('.').every(isValidDnsLabel);
}

/** Entity names, label values and link icons: 1-63 characters of [a-zA-Z0-9] separated by [-_.]. */
export function isValidEntityName(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= 63 && /^(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/.test(value);
}

export function isValidNamespace(value: unknown): value is string {
  return isValidDnsLabel(value);
}

/** A kind: a letter, then letters and digits, at most 63 characters. */
export function isValidKindName(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= 63 && /^[a-zA-Z][a-z0-9A-Z]*$/.test(value);
}

/** `[dns-subdomain/]version`, the version 1-63 characters of [a-zA-Z0-9]. */
export function isValidApiVersion(value: unknown): value is string {
  return isValidPrefixAndOrSuffix(value, isValidDnsSubdomain, (v) => v.length >= 1 && v.length <= 63 && /^[a-z0-9A-Z]+$/.test(v));
}

/** Label and annotation keys: `[dns-subdomain/]name`, the name in the entity name format. */
export function isValidLabelKey(value: unknown): value is string {
  return isValidPrefixAndOrSuffix(value, isValidDnsSubdomain, isValidEntityName);
}

export function isValidLabelValue(value: unknown): value is string {
  return value === '' || isValidEntityName(value);
}

export function isValidAnnotationKey(value: unknown): value is string {
  return isValidLabelKey(value);
}

export function isValidAnnotationValue(value: unknown): value is string {
  return typeof value === 'string';
}

/**
 * A tag: 1-63 characters of [a-z0-9:+#] separated by single dashes (`java`, `c++`, `c#`,
 * `data-service`, `lang:go`), Backstage's `isValidTag`.
 */
export function isValidTag(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= 63 && /^[a-z0-9:+#]+(?:-[a-z0-9:+#]+)*$/.test(value);
}

/** Anything the WHATWG URL parser accepts as an absolute URL. */
export function isValidUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/** A string with at least one non-blank character. */
export function isNonBlankString(value: unknown): value is string {
  return typeof value === 'string' && value.trim().length >= 1;
}

function isValidPrefixAndOrSuffix(value: unknown, isValidPrefix: (v: string) => boolean, isValidSuffix: (v: string) => boolean): value is string {
  if (typeof value !== 'string') return false;
  const parts = value.split('/');
  if (parts.length === 1) return isValidSuffix(parts[0]!);
  if (parts.length === 2) return isValidPrefix(parts[0]!) && isValidSuffix(parts[1]!);
  return false;
}

/** What each format expects, for messages ("must be …"). */
export const FORMAT_EXPECTATIONS = {
  entityName: '1-63 characters of [a-zA-Z0-9] separated by [-_.]',
  labelValue: 'empty or 1-63 characters of [a-zA-Z0-9] separated by [-_.]',
  namespace: '1-63 characters of [a-z0-9] separated by [-]',
  kind: '1-63 characters of [a-zA-Z0-9] starting with a letter',
  apiVersion: 'an optional DNS-subdomain prefix and a slash, then 1-63 characters of [a-zA-Z0-9] (e.g. backstage.io/v1alpha1)',
  key: 'an optional lower-case DNS-subdomain prefix and a slash, then 1-63 characters of [a-zA-Z0-9] separated by [-_.] (e.g. example.com/team)',
  tag: '1-63 characters of [a-z0-9:+#] separated by [-]',
  url: 'an absolute URL (e.g. https://example.com/page)',
} as const;
