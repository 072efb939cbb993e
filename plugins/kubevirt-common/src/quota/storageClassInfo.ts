import type { StorageClassObject } from '../kube/kubernetesObjects';
import type { StorageProfileObject } from '../kube/kubevirtObjects';
import type { StorageClassInfo } from './dataVolumeStorage';

const DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';
const DEFAULT_VIRT_CLASS = 'storageclass.kubevirt.io/is-default-virt-class';
const MINIMUM_SIZE = 'cdi.kubevirt.io/minimumSupportedPvcSize';

/**
 * A StorageClass as the quota plan sees it, with what CDI reads of the StorageProfile
 * of the same name. `csiDrivers` are the names of the cluster's CSIDriver objects: CDI
 * fills a claim through its populators (and a PVC' beside it) exactly when one is
 * named like the class's provisioner. Without that list, a provisioner outside
 * `kubernetes.io/` is taken for a CSI driver.
 *
 * @public
 */
export function storageClassInfo(
  storageClass: StorageClassObject,
  profile: StorageProfileObject | undefined,
  csiDrivers?: string[],
): StorageClassInfo {
  const annotations = storageClass.metadata.annotations ?? {};
  const provisioner = storageClass.provisioner ?? '';
  const sets = profile?.status?.claimPropertySets;
  const volumeMode = sets?.[0]?.volumeMode;
  const minimum = profile?.metadata.annotations?.[MINIMUM_SIZE];
  return {
    name: storageClass.metadata.name,
    isDefault: annotations[DEFAULT_CLASS] === 'true',
    isDefaultVirt: annotations[DEFAULT_VIRT_CLASS] === 'true',
    ...(storageClass.metadata.creationTimestamp && {
      creationTimestamp: storageClass.metadata.creationTimestamp,
    }),
    csi: csiDrivers
      ? csiDrivers.includes(provisioner)
      : provisioner !== '' && !provisioner.startsWith('kubernetes.io/'),
    waitForFirstConsumer:
      storageClass.volumeBindingMode === 'WaitForFirstConsumer',
    ...((volumeMode === 'Block' || volumeMode === 'Filesystem') && {
      volumeMode,
    }),
    ...(profile && {
      claimPropertySets: (sets ?? []).map(set => ({
        ...(set.volumeMode && { volumeMode: set.volumeMode }),
        accessModes: set.accessModes ?? [],
      })),
    }),
    ...(minimum && { minimumSupportedPvcSize: minimum }),
  };
}
