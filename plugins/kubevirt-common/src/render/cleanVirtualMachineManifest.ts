import type { VirtualMachine } from '../kube/kubevirtObjects';
import type { KubernetesManifest } from './buildVirtualMachineObjects';

/**
 * Annotations that tools and controllers write on a VM, not its owner; from KubeVirt
 * v1.9's source unless said otherwise.
 */
const SERVER_SET_ANNOTATIONS = new Set([
  // kubectl's client-side apply: a copy of the last manifest it applied.
  'kubectl.kubernetes.io/last-applied-configuration',
  // virt-controller, on every VM it syncs (controller.SetLatestApiVersionAnnotation).
  'kubevirt.io/latest-observed-api-version',
  'kubevirt.io/storage-observed-api-version',
  // The VirtualMachineRestore controller: which restore it last applied.
  'restore.kubevirt.io/lastRestoreUID',
  // KubeMacPool's webhook (KubeVirt's MAC allocator, where installed).
  'kubemacpool.io/transaction-timestamp',
]);

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sortedEntries(
  map: Record<string, string> | undefined,
  keep: (key: string) => boolean = () => true,
): Record<string, string> | undefined {
  const keys = Object.keys(map ?? {})
    .filter(keep)
    .sort();
  return keys.length > 0
    ? Object.fromEntries(keys.map(key => [key, map![key]]))
    : undefined;
}

/**
 * The metadata of an embedded template (`spec.template`, each of
 * `spec.dataVolumeTemplates`): Go's ObjectMeta serialises an unset creation time as
 * `creationTimestamp: null`, which says nothing. Empty metadata goes with it.
 */
function cleanTemplateMetadata(template: Json) {
  const metadata = template.metadata;
  if (!isObject(metadata)) {
    return;
  }
  delete metadata.creationTimestamp;
  if (Object.keys(metadata).length === 0) {
    delete template.metadata;
  }
}

/**
 * A VirtualMachine as read from a cluster, turned into the manifest to commit to a
 * GitOps repository when a VM that was made by hand is adopted: `kubevirt.io/v1`,
 * metadata with only its name, namespace, labels and annotations (those that tools and
 * KubeVirt write, such as `kubectl.kubernetes.io/last-applied-configuration` and
 * `kubevirt.io/latest-observed-api-version`, dropped), its spec without what the cluster
 * filled in, and no status.
 *
 * Removed from the spec: `instancetype.revisionName` and `preference.revisionName`
 * (they name ControllerRevisions of this cluster, which a VM rebuilt from the
 * repository would not find), `creationTimestamp` in template metadata, and the
 * deprecated `running` when `runStrategy` is set (KubeVirt v1.9 refuses both; the
 * strategy is the one in use). `running` alone stays as it is: turning it into a
 * `runStrategy` in the repository would leave both on the live VM once applied.
 *
 * Kept, although KubeVirt's webhooks or controllers set them, because they are the
 * guest's virtual hardware and a VM rebuilt without them would look like another
 * machine to its guest: the firmware UUID and serial, the machine type, the
 * architecture, MAC addresses, and the PCI topology annotations in
 * `spec.template.metadata`.
 *
 * Returns a new object (the input is untouched) whose labels and annotations are in
 * key order, so the same VM always gives the same manifest.
 *
 * @public
 */
export function cleanVirtualMachineManifest(
  vm: VirtualMachine,
): KubernetesManifest {
  const spec: Json = structuredClone(vm.spec);
  if (spec.runStrategy !== undefined && spec.runStrategy !== null) {
    delete spec.running;
  }
  for (const field of ['instancetype', 'preference']) {
    const matcher = spec[field];
    if (isObject(matcher)) {
      delete matcher.revisionName;
    }
  }
  if (isObject(spec.template)) {
    cleanTemplateMetadata(spec.template);
  }
  if (Array.isArray(spec.dataVolumeTemplates)) {
    for (const template of spec.dataVolumeTemplates) {
      if (isObject(template)) {
        cleanTemplateMetadata(template);
        // DataVolumeTemplateSpec's placeholder status; never anything to keep.
        delete template.status;
      }
    }
  }

  const labels = sortedEntries(vm.metadata.labels);
  const annotations = sortedEntries(
    vm.metadata.annotations,
    key => !SERVER_SET_ANNOTATIONS.has(key),
  );
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: {
      name: vm.metadata.name,
      ...(vm.metadata.namespace !== undefined && {
        namespace: vm.metadata.namespace,
      }),
      ...(labels && { labels }),
      ...(annotations && { annotations }),
    },
    spec,
  };
}
