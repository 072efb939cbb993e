import { errorStatus } from '../kubeClient';
import { CustomResource, orNotFound } from './resources';
import type { SimulatorContext } from './SimulatorContext';

/** `snapshot.storage.k8s.io/v1` volumesnapshotclasses (cluster-scoped). */
export const VOLUME_SNAPSHOT_CLASSES: CustomResource = {
  group: 'snapshot.storage.k8s.io',
  version: 'v1',
  plural: 'volumesnapshotclasses',
};

/** `snapshot.storage.k8s.io/v1` volumesnapshots. */
export const VOLUME_SNAPSHOTS: CustomResource = {
  group: 'snapshot.storage.k8s.io',
  version: 'v1',
  plural: 'volumesnapshots',
};

const STORAGE_CLASSES: CustomResource = {
  group: 'storage.k8s.io',
  version: 'v1',
  plural: 'storageclasses',
};
const STORAGE_PROFILES: CustomResource = {
  group: 'cdi.kubevirt.io',
  version: 'v1beta1',
  plural: 'storageprofiles',
};
const DEFAULT_CLASS_ANNOTATION =
  'snapshot.storage.kubernetes.io/is-default-class';

interface VolumeSnapshotClass {
  metadata: { name: string; annotations?: Record<string, string> };
  driver: string;
}

/**
 * The VolumeSnapshotClass KubeVirt's snapshot controller would use for claims of
 * `storageClassName` (`getVolumeSnapshotClassName`): none when the StorageClass
 * object does not exist; the class its CDI StorageProfile names; else the one
 * class whose driver is the StorageClass's provisioner (or the default one among
 * several). An apiserver without the CSI snapshot CRDs has no classes, so KubeVirt
 * takes no volume snapshots there and backs up the VM's spec alone.
 */
export async function volumeSnapshotClassFor(
  ctx: SimulatorContext,
  storageClassName: string,
): Promise<string | undefined> {
  const storageClass = (await orNotFound(
    ctx.custom.getClusterCustomObject({
      ...STORAGE_CLASSES,
      name: storageClassName,
    }),
  )) as { provisioner?: string } | undefined;
  if (!storageClass) return undefined;
  const profile = (await orNotFound(
    ctx.custom.getClusterCustomObject({
      ...STORAGE_PROFILES,
      name: storageClassName,
    }),
  )) as { status?: { snapshotClass?: string } } | undefined;
  const named = profile?.status?.snapshotClass;
  if (named) {
    const exists = await orNotFound(
      ctx.custom.getClusterCustomObject({
        ...VOLUME_SNAPSHOT_CLASSES,
        name: named,
      }),
    );
    return exists ? named : undefined;
  }
  let classes: VolumeSnapshotClass[];
  try {
    classes = (
      (await ctx.custom.listClusterCustomObject({
        ...VOLUME_SNAPSHOT_CLASSES,
      })) as { items: VolumeSnapshotClass[] }
    ).items;
  } catch (error) {
    if (errorStatus(error) === 404) return undefined;
    throw error;
  }
  const matches = classes.filter(c => c.driver === storageClass.provisioner);
  if (matches.length <= 1) return matches[0]?.metadata.name;
  const preferred = matches.find(
    c => DEFAULT_CLASS_ANNOTATION in (c.metadata.annotations ?? {}),
  );
  if (preferred) return preferred.metadata.name;
  throw new Error(
    `${matches.length} matching VolumeSnapshotClasses for ${storageClassName}`,
  );
}
