/*
 * Kubernetes' name rules (k8s.io/apimachinery/pkg/util/validation), each returning what
 * is wrong in words a VM admin can act on, or undefined when the value is fine.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * Describes one character for a message: printable ASCII as itself, anything else
 * (look-alike letters, invisible or control characters) by its code point.
 */
export function describeCharacter(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  if (code >= 0x21 && code <= 0x7e) return `'${char}'`;
  if (code === 0x20) return 'a space';
  const hex = code.toString(16).toUpperCase().padStart(4, '0');
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) {
    return `the control character U+${hex}`;
  }
  if (
    (code >= 0x200b && code <= 0x200f) ||
    (code >= 0x2028 && code <= 0x202e) ||
    (code >= 0x2060 && code <= 0x2069) ||
    code === 0xfeff
  ) {
    return `the invisible character U+${hex}`;
  }
  return `the character U+${hex} (not a plain ASCII letter or digit, though it may look like one)`;
}

function firstBadCharacter(value: string, allowed: RegExp): string | undefined {
  for (const char of value) {
    if (!allowed.test(char)) return char;
  }
  return undefined;
}

/**
 * What is wrong with `value` as a DNS-1123 label (the rule for namespaces, VM names
 * and most Kubernetes object names), or undefined if it is a valid one.
 */
export function dns1123LabelProblem(
  value: string,
  maxLength = 63,
): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (value.length > maxLength) {
    return `is ${value.length} characters long; use at most ${maxLength}`;
  }
  if (DNS1123_LABEL.test(value)) return undefined;
  if (
    value.toLowerCase() !== value &&
    DNS1123_LABEL.test(value.toLowerCase())
  ) {
    return `must be lowercase; use '${value.toLowerCase()}'`;
  }
  const bad = firstBadCharacter(value, /[a-z0-9-]/);
  if (bad && /[A-Z]/.test(bad)) {
    return `contains the uppercase letter '${bad}'; use only lowercase letters a-z, digits and '-'`;
  }
  if (bad) {
    return `contains ${describeCharacter(
      bad,
    )}; use only lowercase letters a-z, digits and '-'`;
  }
  return "must start and end with a lowercase letter or digit (not '-')";
}

/**
 * What is wrong with `value` as a DNS-1123 subdomain (lowercase labels joined by dots,
 * at most 253 characters), or undefined if it is a valid one.
 *
 * @public
 */
export function dns1123SubdomainProblem(
  value: string,
  maxLength = 253,
): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (value.length > maxLength) {
    return `is ${value.length} characters long; use at most ${maxLength}`;
  }
  if (DNS1123_SUBDOMAIN.test(value)) return undefined;
  if (
    value.toLowerCase() !== value &&
    DNS1123_SUBDOMAIN.test(value.toLowerCase())
  ) {
    return `must be lowercase; use '${value.toLowerCase()}'`;
  }
  const bad = firstBadCharacter(value, /[a-z0-9.-]/);
  if (bad) {
    return `contains ${describeCharacter(
      bad,
    )}; use only lowercase letters a-z, digits, '-' and '.'`;
  }
  return "must be lowercase words of letters, digits and '-' joined by single dots, each starting and ending with a letter or digit";
}

/**
 * What is wrong with `key` as a label or annotation key (`[prefix/]name`: an optional
 * DNS subdomain prefix and a name of at most 63 characters), or undefined if valid.
 */
export function qualifiedNameProblem(key: string): string | undefined {
  if (key.length === 0) return 'must not be empty';
  const parts = key.split('/');
  if (parts.length > 2) return "may contain at most one '/'";
  const name = parts[parts.length - 1];
  if (parts.length === 2) {
    const prefixProblem = dns1123SubdomainProblem(parts[0]);
    if (prefixProblem)
      return `has a prefix '${parts[0].slice(0, 60)}' that ${prefixProblem}`;
  }
  if (name.length === 0) return "must have a name after the '/'";
  if (name.length > 63) {
    return `has a name part ${name.length} characters long; use at most 63`;
  }
  if (QUALIFIED_NAME_PART.test(name)) return undefined;
  const bad = firstBadCharacter(name, /[-A-Za-z0-9_.]/);
  if (bad) {
    return `contains ${describeCharacter(
      bad,
    )}; use only letters, digits, '-', '_' and '.'`;
  }
  return 'must start and end with a letter or digit';
}

/**
 * What is wrong with `value` as a label value (empty, or at most 63 letters, digits,
 * '-', '_' and '.', starting and ending with a letter or digit), or undefined if valid.
 */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) {
    return `is ${value.length} characters long; use at most 63`;
  }
  if (LABEL_VALUE.test(value)) return undefined;
  const bad = firstBadCharacter(value, /[-A-Za-z0-9_.]/);
  if (bad) {
    return `contains ${describeCharacter(
      bad,
    )}; use only letters, digits, '-', '_' and '.'`;
  }
  return 'must start and end with a letter or digit';
}
