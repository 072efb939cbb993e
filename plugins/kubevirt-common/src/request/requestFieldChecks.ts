import { parseEntityRef } from '@backstage/catalog-model';
import {
  describeCharacter,
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  labelValueProblem,
  qualifiedNameProblem,
} from '../kube/kubernetesNames';
import { Quantity } from '../kube/Quantity';

/*
 * Checks of single request fields. Each returns what is wrong and how to fix it, in
 * words a VM admin understands, or undefined when the value is fine.
 */

const MI = 1024n ** 2n;
const TI = 1024n ** 4n;

/** Characters that must never reach a manifest: controls, invisible and bidi marks, line separators. */
function unsafeCharacter(
  text: string,
  allowNewline: boolean,
): string | undefined {
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (allowNewline && code === 0x0a) continue;
    if (
      code < 0x20 ||
      (code >= 0x7f && code <= 0x9f) ||
      (code >= 0x200b && code <= 0x200f) ||
      (code >= 0x2028 && code <= 0x202e) ||
      (code >= 0x2060 && code <= 0x2069) ||
      code === 0xfeff ||
      (code >= 0xfff9 && code <= 0xfffb) ||
      (code >= 0xd800 && code <= 0xdfff)
    ) {
      return char;
    }
  }
  return undefined;
}

function sizeProblem(
  text: string,
  what: string,
  min: bigint,
  minText: string,
  max: bigint,
  maxText: string,
): string | undefined {
  const example = what === 'memory' ? '4Gi or 512Mi' : '30Gi or 1Ti';
  const quantity = Quantity.tryParse(text);
  if (!quantity) {
    const trimmed = text.trim();
    if (trimmed !== text && Quantity.tryParse(trimmed)) {
      return `'${trimmed}' has spaces around it; remove them`;
    }
    const gb = /^\s*(\d+(?:\.\d+)?)\s*(g|gb|gib|m|mb|mib|t|tb|tib)\s*$/i.exec(
      text,
    );
    if (gb) {
      const unit = gb[2][0].toUpperCase();
      return `'${text.slice(0, 20)}' is not written the Kubernetes way; write ${
        gb[1]
      }${unit}i`;
    }
    return `'${text.slice(
      0,
      20,
    )}' is not a size; write a number and a unit, e.g. ${example}`;
  }
  if (/^[+-]?[\d.]+$/.test(text)) {
    return `'${text}' has no unit and would mean ${text} bytes; add a unit, e.g. ${text}Mi or ${text}Gi`;
  }
  if (/[eE]/.test(text)) {
    return `'${text}' uses an exponent; write the size with a unit, e.g. ${example}`;
  }
  if (/[num]$/.test(text)) {
    const number = text.slice(0, -1);
    return text.endsWith('m')
      ? `'${text}' means ${number} thousandths of a byte ('m' is milli); write ${number}Mi for mebibytes`
      : `'${text}' means a tiny fraction of a byte; write a size such as ${example}`;
  }
  if (!quantity.isWhole()) {
    return `'${text}' is not a whole number of bytes; use a smaller unit, e.g. Mi instead of Gi`;
  }
  const bytes = quantity.value();
  if (bytes <= 0n) return `'${text}' must be more than zero`;
  const subject = what === 'memory' ? 'the guest memory' : 'a disk';
  if (bytes < min)
    return `'${text}' is too small; ${subject} must be at least ${minText}`;
  if (bytes > max)
    return `'${text}' is too large; ${subject} can be at most ${maxText}`;
  return undefined;
}

/** Guest memory: a size with a unit, whole bytes, 128Mi to 4Ti. */
export function memoryProblem(text: string): string | undefined {
  return sizeProblem(text, 'memory', 128n * MI, '128Mi', 4n * TI, '4Ti');
}

/** A disk size: a size with a unit, whole bytes, 1Mi (CDI's minimum) to 64Ti. */
export function diskSizeProblem(text: string): string | undefined {
  return sizeProblem(text, 'disk', MI, '1Mi', 64n * TI, '64Ti');
}

/** A whole number in [min, max]. */
export function wholeNumberProblem(
  value: number,
  min: number,
  max: number,
): string | undefined {
  if (!Number.isInteger(value)) return `${value} is not a whole number`;
  if (value < min) return `must be at least ${min}`;
  if (value > max) return `must be at most ${max}`;
  return undefined;
}

// distribution/reference's grammar (without IPv6 hosts).
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const IMAGE_REFERENCE = new RegExp(
  `^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$`,
);

/** A container image reference (`quay.io/containerdisks/fedora:41`). */
export function imageReferenceProblem(text: string): string | undefined {
  if (text.length === 0) return 'must not be empty';
  if (text.length > 512)
    return `is ${text.length} characters long; use at most 512`;
  const bad = [...text].find(
    c => c.codePointAt(0)! <= 0x20 || c.codePointAt(0)! >= 0x7f,
  );
  if (bad) {
    return `contains ${describeCharacter(
      bad,
    )}; an image reference is plain text like quay.io/containerdisks/fedora:41`;
  }
  if (text.includes('://')) {
    return `must not start with a scheme such as docker://; write it like quay.io/containerdisks/fedora:41`;
  }
  if (!IMAGE_REFERENCE.test(text)) {
    return `'${text.slice(
      0,
      80,
    )}' is not an image reference; write registry/repository:tag, e.g. quay.io/containerdisks/fedora:41 (repository names are lowercase)`;
  }
  return undefined;
}

/** A registry import URL (`docker://quay.io/containerdisks/fedora:41`). */
export function registryUrlProblem(text: string): string | undefined {
  if (!text.startsWith('docker://')) {
    return `must start with docker://, e.g. docker://quay.io/containerdisks/fedora:41`;
  }
  const problem = imageReferenceProblem(text.slice('docker://'.length));
  return problem ? `has an image part that ${problem}` : undefined;
}

/** An http(s) download URL without credentials. */
export function httpUrlProblem(text: string): string | undefined {
  if (text.length > 2048)
    return `is ${text.length} characters long; use at most 2048`;
  const bad = [...text].find(
    c => c.codePointAt(0)! <= 0x20 || c.codePointAt(0)! >= 0x7f,
  );
  if (bad) {
    return `contains ${describeCharacter(
      bad,
    )}; percent-encode it (a space is %20)`;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `'${text.slice(
      0,
      80,
    )}' is not a URL; write e.g. https://example.com/images/disk.qcow2`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `must be an http:// or https:// URL`;
  }
  if (url.username || url.password) {
    return 'must not contain a user name or password: the manifest is stored in git; ask the platform team for a secret-backed import';
  }
  if (!url.hostname) return 'has no host name';
  return undefined;
}

/** A free-text description: one paragraph or a few lines of readable text. */
export function descriptionProblem(text: string): string | undefined {
  if (text.length > 1000)
    return `is ${text.length} characters long; keep it under 1000`;
  const bad = unsafeCharacter(text, true);
  if (bad) return `contains ${describeCharacter(bad)}; use plain text`;
  if (text.trim().length === 0)
    return 'is blank; leave it out or write a sentence';
  return undefined;
}

const RESERVED_LABEL_KEYS = new Set([
  'debugLogs',
  'logVerbosity',
  'virtiofsdDebugLogs',
  'app.kubernetes.io/managed-by',
]);

/** A label key the user may set (not one KubeVirt, Kubernetes or the portal sets itself). */
export function labelKeyProblem(key: string): string | undefined {
  const problem = qualifiedNameProblem(key);
  if (problem) return problem;
  // The catalog reads these two from the VM: the user may say them.
  if (key === 'vmportal.io/system' || key === 'vmportal.io/lifecycle')
    return undefined;
  if (RESERVED_LABEL_KEYS.has(key)) {
    return 'is set by the portal or switches KubeVirt behaviour; choose another key';
  }
  const prefix = key.includes('/') ? key.split('/')[0] : '';
  const reserved = [
    'kubernetes.io',
    'k8s.io',
    'kubevirt.io',
    'vmportal.io',
  ].find(domain => prefix === domain || prefix.endsWith(`.${domain}`));
  if (reserved && prefix !== 'app.kubernetes.io') {
    const owners: Record<string, string> = {
      'vmportal.io': 'the portal',
      'kubevirt.io': 'KubeVirt',
    };
    return `uses the prefix ${prefix}/, which belongs to ${
      owners[reserved] ?? 'Kubernetes'
    }; use your own prefix or none`;
  }
  return undefined;
}

/** A label value. */
export function labelValueCheck(value: string): string | undefined {
  return labelValueProblem(value);
}

/**
 * The owner as a normalised group ref (`group:default/team-a`), or what is wrong.
 * Accepts `team-a`, `group:team-a` and `group:namespace/team-a`.
 */
export function normaliseOwner(
  text: string,
): { ref: string } | { problem: string } {
  if (text.length === 0)
    return {
      problem: 'is missing; give the owning team, e.g. group:default/team-a',
    };
  if (text.length > 253)
    return {
      problem: `is ${text.length} characters long; a group ref is at most 253`,
    };
  const bad = [...text].find(c => !/[A-Za-z0-9:/._-]/.test(c));
  if (bad) {
    return {
      problem: `contains ${describeCharacter(
        bad,
      )}; write the team as group:namespace/name, e.g. group:default/team-a`,
    };
  }
  let ref;
  try {
    ref = parseEntityRef(text, {
      defaultKind: 'group',
      defaultNamespace: 'default',
    });
  } catch {
    return {
      problem: `'${text}' is not an entity ref; write it as group:namespace/name, e.g. group:default/team-a`,
    };
  }
  if (ref.kind.toLocaleLowerCase('en-US') !== 'group') {
    return {
      problem: `is a ${ref.kind}, but VMs are owned by teams; give a group, e.g. group:default/team-a`,
    };
  }
  const nameProblem = labelValueProblem(ref.name);
  if (nameProblem || ref.name.length === 0) {
    return {
      problem: `has a group name '${ref.name}' that ${
        nameProblem ?? 'is empty'
      }`,
    };
  }
  const catalogNamespaceProblem = dns1123LabelProblem(ref.namespace);
  if (catalogNamespaceProblem) {
    return {
      problem: `has a catalog namespace '${ref.namespace}' that ${catalogNamespaceProblem}`,
    };
  }
  return { ref: `group:${ref.namespace}/${ref.name}` };
}

/** A multus network: a NetworkAttachmentDefinition `name` or `namespace/name`. */
export function networkNameProblem(text: string): string | undefined {
  const parts = text.split('/');
  if (parts.length > 2)
    return "must be a name or namespace/name, with at most one '/'";
  if (parts.length === 2) {
    const problem = dns1123LabelProblem(parts[0]);
    if (problem)
      return `has a namespace '${parts[0].slice(0, 63)}' that ${problem}`;
  }
  const nameProblem = dns1123SubdomainProblem(parts[parts.length - 1]);
  return nameProblem ? `has a network name that ${nameProblem}` : undefined;
}

/** A namespace the portal may create VMs in. */
export function namespaceProblem(text: string): string | undefined {
  const problem = dns1123LabelProblem(text);
  if (problem) return problem;
  if (
    text.startsWith('kube-') ||
    text.startsWith('openshift-') ||
    text === 'kubevirt'
  ) {
    return "is a system namespace; choose your team's namespace";
  }
  return undefined;
}
