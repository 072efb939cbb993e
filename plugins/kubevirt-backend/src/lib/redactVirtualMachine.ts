import type {
  VirtualMachine,
  VirtualMachineVolume,
} from '@vmportal/plugin-kubevirt-common';

/** kubectl's copy of the last applied manifest: the whole spec, cloud-init included. */
const LAST_APPLIED_ANNOTATION =
  'kubectl.kubernetes.io/last-applied-configuration';

/** Volume sources whose inline data goes to the guest and often holds passwords and keys. */
const CLOUD_INIT_SOURCES = ['cloudInitNoCloud', 'cloudInitConfigDrive'];
const PLAIN_FIELDS = ['userData', 'networkData'];
const BASE64_FIELDS = ['userDataBase64', 'networkDataBase64'];

/**
 * What the page shows instead of a secret value: only its size, so an owner can tell
 * that there is user data and roughly how much.
 *
 * @internal
 */
export function redactedText(bytes: number): string {
  return `redacted, ${bytes} bytes`;
}

/**
 * A copy of the VirtualMachine fit to show to anyone who may read it: inline cloud-init
 * (`userData`, `networkData` and their `…Base64` forms, in `cloudInitNoCloud` and
 * `cloudInitConfigDrive` volumes) and CDI import headers become `redacted, N bytes`
 * (N the decoded size), passwords in import URLs are replaced, and kubectl's
 * last-applied-configuration annotation is dropped. References to Secrets
 * (`userDataSecretRef`, `secretExtraHeaders`, …) are names and stay.
 *
 * @internal
 */
export function redactVirtualMachine(vm: VirtualMachine): VirtualMachine {
  const copy = structuredClone(vm);
  const annotations = copy.metadata.annotations;
  if (annotations && LAST_APPLIED_ANNOTATION in annotations) {
    delete annotations[LAST_APPLIED_ANNOTATION];
    if (Object.keys(annotations).length === 0) {
      delete copy.metadata.annotations;
    }
  }
  for (const volume of copy.spec.template?.spec?.volumes ?? []) {
    redactCloudInit(volume);
  }
  for (const template of copy.spec.dataVolumeTemplates ?? []) {
    const http = template.spec?.source?.http as
      | { url?: string; extraHeaders?: unknown }
      | undefined;
    if (!http) continue;
    if (Array.isArray(http.extraHeaders)) {
      http.extraHeaders = http.extraHeaders.map(redactHeader);
    }
    if (typeof http.url === 'string') http.url = redactUrlPassword(http.url);
  }
  return copy;
}

function redactCloudInit(volume: VirtualMachineVolume) {
  for (const source of CLOUD_INIT_SOURCES) {
    const data = volume[source];
    if (!data || typeof data !== 'object') continue;
    const fields = data as Record<string, unknown>;
    for (const field of PLAIN_FIELDS) {
      if (fields[field] === undefined) continue;
      fields[field] = redactedText(
        typeof fields[field] === 'string'
          ? Buffer.byteLength(fields[field] as string, 'utf8')
          : 0,
      );
    }
    for (const field of BASE64_FIELDS) {
      if (fields[field] === undefined) continue;
      fields[field] = redactedText(
        typeof fields[field] === 'string'
          ? Buffer.from(fields[field] as string, 'base64').length
          : 0,
      );
    }
  }
}

/** `Authorization: Bearer …` becomes `Authorization: redacted, N bytes`. */
function redactHeader(header: unknown): string {
  const text = typeof header === 'string' ? header : '';
  const colon = text.indexOf(':');
  if (colon < 0) return redactedText(Buffer.byteLength(text, 'utf8'));
  const value = text.slice(colon + 1).trim();
  return `${text.slice(0, colon)}: ${redactedText(
    Buffer.byteLength(value, 'utf8'),
  )}`;
}

/**
 * A URL with its password, if it has one, replaced by `redacted`; text that is not a
 * URL as it is.
 *
 * @internal
 */
export function redactUrlPassword(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  if (!url.password) return text;
  url.password = 'redacted';
  return url.toString();
}
