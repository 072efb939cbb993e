import { parseEntityRef } from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { visibleText } from '@vmportal/plugin-kubevirt-common';

/**
 * Namespaces no VM may be requested into, whatever the config says: Kubernetes' own,
 * the portal's, KubeVirt's and CDI's install namespaces.
 *
 * @public
 */
export const DEFAULT_PROTECTED_NAMESPACES = [
  'kube-*',
  'default',
  'vmportal-system',
  'kubevirt',
  'cdi',
  'openshift-cnv',
];

/**
 * Who may request a VM where, and who reviews it, from `kubevirt.requests`.
 *
 * @public
 */
export interface KubevirtRequestsConfig {
  /** Owning group ref per `<cluster>/<namespace>`, besides the namespace's label. */
  namespaceOwners: Record<string, string>;
  /** User or group refs who review every request besides the namespace's owners. */
  approvers: string[];
  /** Namespace names or globs (`*`) refused, the defaults included. */
  protectedNamespaces: string[];
  /** Image hosts allowed although inside the cluster or the node (URL host form). */
  allowedImageHosts: string[];
  /** Whether an ALLOW of `kubevirt.vm.request` waives the membership of the owning group. */
  policyMayWaiveMembership: boolean;
  /** Namespaces whose CDI DataSources the request form offers as OS images. */
  osImageNamespaces: string[];
  /** Instancetype series the request form offers first (others behind "show all"). */
  offeredSeries: string[];
}

/**
 * Where clusters publish golden images by default: upstream KubeVirt's and OpenShift
 * Virtualization's namespaces for DataImportCron-managed DataSources.
 *
 * @public
 */
export const DEFAULT_OS_IMAGE_NAMESPACES = [
  'kubevirt-os-images',
  'openshift-virtualization-os-images',
];

/**
 * The general-purpose instancetype series of KubeVirt's common instancetypes: u1
 * (universal) and o1 (overcommitted memory).
 *
 * @public
 */
export const DEFAULT_OFFERED_SERIES = ['u1', 'o1'];

/**
 * The namespace label naming its owning group (as the catalog module reads it).
 *
 * @public
 */
export const NAMESPACE_OWNER_LABEL = 'vmportal.io/owner';

const KEY = 'kubevirt.requests';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** An entity ref of one of `kinds`, normalised to `kind:namespace/name`, or what is wrong. */
function entityRefOf(
  text: string,
  kinds: string[],
): { ref: string } | { problem: string } {
  let ref;
  try {
    ref = parseEntityRef(text, {
      defaultKind: 'group',
      defaultNamespace: 'default',
    });
  } catch {
    return { problem: 'is not an entity ref; write e.g. group:default/team-a' };
  }
  const kind = ref.kind.toLocaleLowerCase('en-US');
  if (!kinds.includes(kind)) {
    return {
      problem: `is a ${ref.kind}; give a ${kinds.join(' or ')}, e.g. ${
        kinds[0]
      }:default/team-a`,
    };
  }
  return { ref: `${kind}:${ref.namespace}/${ref.name}` };
}

function readNamespaceOwners(config: Config): Record<string, string> {
  const key = `${KEY}.namespaceOwners`;
  // Read as one object: its keys hold a '/', which config key paths may not.
  const value = config.getOptional(key);
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError(
      `${key} must be a map of '<cluster>/<namespace>' to a group, e.g. demo-east/team-web: group:default/team-web`,
    );
  }
  const owners: Record<string, string> = {};
  for (const [entry, owner] of Object.entries(value)) {
    const [cluster, namespace, ...rest] = entry.split('/');
    if (
      rest.length > 0 ||
      !DNS_SUBDOMAIN.test(cluster ?? '') ||
      !DNS_LABEL.test(namespace ?? '')
    ) {
      throw new InputError(
        `${key} has the key '${visibleText(
          entry,
        )}', which is not <cluster>/<namespace>; write e.g. demo-east/team-web`,
      );
    }
    const parsed =
      typeof owner === 'string'
        ? entityRefOf(owner, ['group'])
        : { problem: 'is not text' };
    if ('problem' in parsed) {
      throw new InputError(
        `${key}.${entry} ${parsed.problem}; give the owning group, e.g. group:default/team-web`,
      );
    }
    owners[entry] = parsed.ref;
  }
  return owners;
}

function readApprovers(config: Config): string[] {
  const key = `${KEY}.approvers`;
  return (config.getOptionalStringArray(key) ?? []).map((text, index) => {
    const parsed = entityRefOf(text, ['group', 'user']);
    if ('problem' in parsed) {
      throw new InputError(
        `${key}[${index}] '${visibleText(text)}' ${parsed.problem}`,
      );
    }
    return parsed.ref;
  });
}

function readProtectedNamespaces(config: Config): string[] {
  const key = `${KEY}.protectedNamespaces`;
  const configured = config.getOptionalStringArray(key) ?? [];
  configured.forEach((pattern, index) => {
    if (!/^[a-z0-9*]([-a-z0-9*]*[a-z0-9*])?$/.test(pattern)) {
      throw new InputError(
        `${key}[${index}] '${visibleText(
          pattern,
        )}' is not a namespace name or glob; use lowercase letters, digits, '-' and '*', e.g. infra-*`,
      );
    }
  });
  return [...DEFAULT_PROTECTED_NAMESPACES, ...configured];
}

function readNameList(
  config: Config,
  key: string,
  pattern: RegExp,
  example: string,
  fallback: string[],
): string[] {
  const values = config.getOptionalStringArray(key);
  if (values === undefined) return fallback;
  values.forEach((value, index) => {
    if (!pattern.test(value)) {
      throw new InputError(
        `${key}[${index}] '${visibleText(
          value,
        )}' is not a valid name; use lowercase letters, digits and '-', e.g. ${example}`,
      );
    }
  });
  return values;
}

/**
 * A host name or IP address in the form `new URL(...).hostname` gives it.
 *
 * @public
 */
export function normaliseHost(host: string): string | undefined {
  const bracketed =
    host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  try {
    const url = new URL(`http://${bracketed}/`);
    return url.port === '' && url.username === '' && url.password === ''
      ? url.hostname.replace(/\.$/, '')
      : undefined;
  } catch {
    return undefined;
  }
}

function readAllowedImageHosts(config: Config): string[] {
  const key = `${KEY}.allowedImageHosts`;
  return (config.getOptionalStringArray(key) ?? []).map((text, index) => {
    const host = normaliseHost(text);
    if (!host || /[/?#@]/.test(text)) {
      throw new InputError(
        `${key}[${index}] '${visibleText(
          text,
        )}' is not a host name or IP address; give the host alone (no scheme, port or path), e.g. registry.local or 10.0.0.5`,
      );
    }
    return host;
  });
}

/**
 * Reads `kubevirt.requests`. Fails at start-up, naming the key and the fix, when a
 * value cannot be used.
 *
 * @public
 */
export function readKubevirtRequestsConfig(
  config: Config,
): KubevirtRequestsConfig {
  const policyMayWaiveMembership =
    config.getOptionalBoolean(`${KEY}.policyMayWaiveMembership`) ?? false;
  if (
    policyMayWaiveMembership &&
    config.getOptionalBoolean('permission.enabled') !== true
  ) {
    throw new InputError(
      `${KEY}.policyMayWaiveMembership is true but permission.enabled is not: without a permission policy every decision is ALLOW, so anyone could request VMs for any team; set permission.enabled: true with a policy that decides kubevirt.vm.request, or remove ${KEY}.policyMayWaiveMembership`,
    );
  }
  return {
    namespaceOwners: readNamespaceOwners(config),
    approvers: readApprovers(config),
    protectedNamespaces: readProtectedNamespaces(config),
    allowedImageHosts: readAllowedImageHosts(config),
    policyMayWaiveMembership,
    osImageNamespaces: readNameList(
      config,
      `${KEY}.osImageNamespaces`,
      DNS_LABEL,
      'kubevirt-os-images',
      DEFAULT_OS_IMAGE_NAMESPACES,
    ),
    offeredSeries: readNameList(
      config,
      `${KEY}.offeredSeries`,
      DNS_LABEL,
      'u1',
      DEFAULT_OFFERED_SERIES,
    ),
  };
}

function globMatches(pattern: string, name: string): boolean {
  const regex = pattern
    .split('*')
    .map(part => part.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${regex}$`).test(name);
}

/**
 * The protected-namespace pattern `namespace` matches (where the portal puts no VMs),
 * or undefined.
 *
 * @public
 */
export function protectedNamespacePattern(
  config: KubevirtRequestsConfig,
  namespace: string,
): string | undefined {
  return config.protectedNamespaces.find(p => globMatches(p, namespace));
}

/**
 * The groups that own `namespace` on `cluster` (entity refs): its
 * `vmportal.io/owner` label, and `kubevirt.requests.namespaceOwners`.
 *
 * @public
 */
export function namespaceOwners(
  config: KubevirtRequestsConfig,
  cluster: string,
  namespace: string,
  labels: Record<string, string> | undefined,
): string[] {
  const owners: string[] = [];
  const label = labels?.[NAMESPACE_OWNER_LABEL];
  if (label && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(label)) {
    owners.push(`group:default/${label}`);
  }
  const mapped = config.namespaceOwners[`${cluster}/${namespace}`];
  if (mapped && !owners.some(o => sameEntityRef(o, mapped)))
    owners.push(mapped);
  return owners;
}

/**
 * Entity refs compare without regard to case.
 *
 * @public
 */
export function sameEntityRef(a: string, b: string): boolean {
  return a.toLocaleLowerCase('en-US') === b.toLocaleLowerCase('en-US');
}
