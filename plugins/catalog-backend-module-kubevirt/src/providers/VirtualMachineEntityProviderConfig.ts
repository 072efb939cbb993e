import {
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { KubernetesValidatorFunctions } from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { toEntityRef, toLifecycle } from '../lib/refs';

/**
 * Which launcher pod label the Kubernetes tab selects on.
 *
 * @public
 */
export type LauncherPodLabel = 'vmi.kubevirt.io/id' | 'vm.kubevirt.io/name';

/**
 * One provider's settings, read from `catalog.providers.kubevirt.<id>`.
 *
 * @public
 */
export interface VirtualMachineEntityProviderConfig {
  /** The key under `catalog.providers.kubevirt`. */
  id: string;
  /** Cluster names to read; undefined means every configured cluster. */
  clusters?: string[];
  namespaces: {
    /** Names or globs (`*`, `?`); empty means every namespace. */
    include: string[];
    /** Names or globs to leave out, applied after `include`. */
    exclude: string[];
  };
  /** Label selector the apiserver applies to VirtualMachines. */
  labelSelector?: string;
  owner: {
    /** VM label holding the owner; '' when ignored. */
    label: string;
    /** VM annotation holding the owner; '' when ignored. */
    annotation: string;
    /** Namespace label holding the owner; '' when ignored. */
    namespaceLabel: string;
    /** Namespace annotation holding the owner; '' when ignored. */
    namespaceAnnotation: string;
    /** Namespace name to owner group ref, already normalised. */
    namespaces: Record<string, string>;
    /** Owner when nothing else says, already normalised. */
    default: string;
  };
  system: {
    label: string;
    annotation: string;
    namespaceLabel: string;
    /** Normalised system ref, or undefined for none. */
    default?: string;
  };
  lifecycle: {
    label: string;
    namespaceLabel: string;
    default: string;
  };
  /** The launcher pod label the Kubernetes plugin's annotations select on. */
  launcherPodLabel: LauncherPodLabel;
  /** Link templates; `{cluster}`, `{namespace}` and `{name}` are replaced. */
  links: Array<{ title: string; url: string; icon?: string }>;
  /** The safety-net full sync. */
  schedule: SchedulerServiceTaskScheduleDefinition;
}

/** Owner label and annotation the demo and the docs use. */
export const DEFAULT_OWNER_KEY = 'vmportal.io/owner';
/** Where VMs that nobody claims land: the team that runs the clusters. */
export const DEFAULT_OWNER = 'group:default/platform';
export const DEFAULT_SYSTEM_KEY = 'vmportal.io/system';
export const DEFAULT_LIFECYCLE_KEY = 'vmportal.io/lifecycle';
export const DEFAULT_LIFECYCLE = 'production';
export const DEFAULT_SCHEDULE: SchedulerServiceTaskScheduleDefinition = {
  frequency: { minutes: 30 },
  timeout: { minutes: 10 },
  // Every replica keeps its own in-memory state from its own watches, so each one
  // refreshes it; the catalog dedupes their identical mutations.
  scope: 'local',
};

const PROVIDERS_KEY = 'catalog.providers.kubevirt';
/** Where round 1 read providers; every other Backstage provider lives under `catalog.providers`. */
const OLD_PROVIDERS_KEY = 'kubevirt.catalog.providers';

/**
 * Reads every provider under `catalog.providers.kubevirt`. Fails at start-up with an
 * `InputError` naming the key and the fix.
 *
 * @public
 */
export function readVirtualMachineEntityProviderConfigs(
  config: Config,
): VirtualMachineEntityProviderConfig[] {
  if (config.has(OLD_PROVIDERS_KEY)) {
    throw new InputError(
      `${OLD_PROVIDERS_KEY} is no longer read; move its providers to ${PROVIDERS_KEY} (catalog: { providers: { kubevirt: { <id>: {...} } } }), the key every Backstage entity provider uses`,
    );
  }
  const providers = read(PROVIDERS_KEY, '', () =>
    config.getOptionalConfig(PROVIDERS_KEY),
  );
  if (!providers) return [];
  return providers
    .keys()
    .map(id =>
      readProvider(id, providers.getConfig(id), `${PROVIDERS_KEY}.${id}`),
    );
}

function readProvider(
  id: string,
  config: Config,
  key: string,
): VirtualMachineEntityProviderConfig {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(id)) {
    throw new InputError(
      `${key}: the provider id '${id}' must be lowercase letters, digits and dashes; it names the provider in the catalog, so rename the key`,
    );
  }
  const clusters = read(key, 'clusters', () =>
    config.getOptionalStringArray('clusters'),
  );
  const include = readNamespacePatterns(config, key, 'include');
  const exclude = readNamespacePatterns(config, key, 'exclude');
  const labelSelector = read(key, 'labelSelector', () =>
    config.getOptionalString('labelSelector'),
  )?.trim();

  const ownerKey = `${key}.owner`;
  const owner = config.getOptionalConfig('owner');
  const ownerNamespaces: Record<string, string> = {};
  const namespaceMap = owner?.getOptionalConfig('namespaces');
  for (const namespace of namespaceMap?.keys() ?? []) {
    const mapKey = `${ownerKey}.namespaces.${namespace}`;
    const value = read(mapKey, '', () => namespaceMap!.getString(namespace));
    ownerNamespaces[namespace] = groupRef(mapKey, value);
  }
  const ownerDefault = owner?.getOptionalString('default');

  const systemKey = `${key}.system`;
  const system = config.getOptionalConfig('system');
  const systemDefault = system?.getOptionalString('default');
  const lifecycle = config.getOptionalConfig('lifecycle');
  const lifecycleDefault =
    lifecycle?.getOptionalString('default') ?? DEFAULT_LIFECYCLE;
  if (!toLifecycle(lifecycleDefault)) {
    throw new InputError(
      `${key}.lifecycle.default '${lifecycleDefault}' is not a valid lifecycle; use a word such as production, experimental or deprecated`,
    );
  }

  const launcherPodLabel =
    config.getOptionalString('launcherPodLabel') ?? 'vmi.kubevirt.io/id';
  if (
    launcherPodLabel !== 'vmi.kubevirt.io/id' &&
    launcherPodLabel !== 'vm.kubevirt.io/name'
  ) {
    throw new InputError(
      `${key}.launcherPodLabel is '${launcherPodLabel}'; use vmi.kubevirt.io/id (KubeVirt 1.9 and later) or vm.kubevirt.io/name (older KubeVirt)`,
    );
  }

  const links = (config.getOptionalConfigArray('links') ?? []).map(
    (link, i) => {
      const url = link.getString('url');
      const sample = url.replace(/\{(cluster|namespace|name)\}/g, 'x');
      if (!/^https?:\/\/[^\s{}]+$/.test(sample)) {
        throw new InputError(
          `${key}.links[${i}].url '${url}' is not an http(s) URL template; only {cluster}, {namespace} and {name} are replaced`,
        );
      }
      return {
        title: link.getString('title'),
        url,
        icon: link.getOptionalString('icon'),
      };
    },
  );

  let schedule = DEFAULT_SCHEDULE;
  if (config.has('schedule')) {
    try {
      schedule = readSchedulerServiceTaskScheduleDefinitionFromConfig(
        config.getConfig('schedule'),
      );
    } catch (error) {
      throw new InputError(
        `${key}.schedule is invalid: ${
          error instanceof Error ? error.message : String(error)
        }; use the standard shape, e.g. { frequency: { minutes: 30 }, timeout: { minutes: 10 } }`,
      );
    }
  }

  return {
    id,
    clusters,
    namespaces: { include, exclude },
    labelSelector: labelSelector || undefined,
    owner: {
      label: labelKey(owner, ownerKey, 'label'),
      annotation: labelKey(owner, ownerKey, 'annotation'),
      namespaceLabel: labelKey(owner, ownerKey, 'namespaceLabel'),
      namespaceAnnotation: labelKey(owner, ownerKey, 'namespaceAnnotation'),
      namespaces: ownerNamespaces,
      default: groupRef(`${ownerKey}.default`, ownerDefault ?? DEFAULT_OWNER),
    },
    system: {
      label: labelKey(system, systemKey, 'label', DEFAULT_SYSTEM_KEY),
      annotation: labelKey(system, systemKey, 'annotation', DEFAULT_SYSTEM_KEY),
      namespaceLabel: labelKey(
        system,
        systemKey,
        'namespaceLabel',
        DEFAULT_SYSTEM_KEY,
      ),
      default:
        systemDefault === undefined
          ? undefined
          : systemRef(`${systemKey}.default`, systemDefault),
    },
    lifecycle: {
      label: labelKey(
        lifecycle,
        `${key}.lifecycle`,
        'label',
        DEFAULT_LIFECYCLE_KEY,
      ),
      namespaceLabel: labelKey(
        lifecycle,
        `${key}.lifecycle`,
        'namespaceLabel',
        DEFAULT_LIFECYCLE_KEY,
      ),
      default: lifecycleDefault,
    },
    launcherPodLabel,
    links,
    schedule,
  };
}

/** Reads a value, turning the config reader's type errors into ones that name the fix. */
function read<T>(key: string, field: string, get: () => T): T {
  try {
    return get();
  } catch (error) {
    throw new InputError(
      `${field ? `${key}.${field}` : key} has the wrong type: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }
}

function readNamespacePatterns(
  config: Config,
  key: string,
  field: 'include' | 'exclude',
): string[] {
  const patterns =
    read(key, `namespaces.${field}`, () =>
      config.getOptionalStringArray(`namespaces.${field}`),
    ) ?? [];
  patterns.forEach((pattern, i) => {
    if (!/^[a-z0-9*?]([-a-z0-9*?]*[a-z0-9*?])?$/.test(pattern)) {
      throw new InputError(
        `${key}.namespaces.${field}[${i}] '${pattern}' is not a namespace name or glob; use lowercase letters, digits, '-', '*' and '?'`,
      );
    }
  });
  return patterns;
}

function labelKey(
  config: Config | undefined,
  key: string,
  field: string,
  fallback = DEFAULT_OWNER_KEY,
): string {
  const raw = config?.getOptional(field);
  if (raw === false) return '';
  const value = raw === undefined ? fallback : String(raw);
  if (
    typeof raw === 'object' ||
    !KubernetesValidatorFunctions.isValidLabelKey(value)
  ) {
    throw new InputError(
      `${key}.${field} '${value}' is not a valid label or annotation key; use a key such as ${fallback}, or false to ignore it`,
    );
  }
  return value;
}

function groupRef(key: string, value: string): string {
  const ref = toEntityRef(value, 'group');
  if (!ref) {
    throw new InputError(
      `${key} '${value}' is not a valid group reference; use a group name such as platform or a reference such as group:default/platform`,
    );
  }
  return ref;
}

function systemRef(key: string, value: string): string {
  const ref = toEntityRef(value, 'system');
  if (!ref) {
    throw new InputError(
      `${key} '${value}' is not a valid system reference; use a system name such as payments or a reference such as system:default/payments`,
    );
  }
  return ref;
}
