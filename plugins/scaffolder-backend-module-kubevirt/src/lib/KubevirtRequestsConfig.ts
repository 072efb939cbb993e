import { parseEntityRef } from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { visibleText } from './visibleText';

/**
 * Namespaces no VM may be requested into, whatever the config says: Kubernetes' own,
 * the portal's, KubeVirt's and CDI's install namespaces.
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
}

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

/** A host name or IP address in the form `new URL(...).hostname` gives it. */
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
  };
}
