import type { PersistentVolumeClaimSpecLike } from './kubernetesObjects';
import type { KubeObject, KubeObjectMeta } from './kubernetesObjects';
import type { VirtualMachine } from './kubevirtObjects';

/*
 * KubeVirt's `snapshot.kubevirt.io/v1beta1` objects, as far as the portal and the
 * test control plane's simulator read and write them (KubeVirt v1.9's
 * `kubevirt.io/api/snapshot/v1beta1`).
 */

/**
 * A snapshot or restore condition: unlike a VM's, it carries no message.
 *
 * @public
 */
export interface SnapshotCondition {
  type: 'Ready' | 'Progressing' | 'Failure';
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string | null;
}

/**
 * `snapshotv1.Error`: the last error of a snapshot or its content.
 *
 * @public
 */
export interface SnapshotError {
  time?: string;
  message?: string;
}

/**
 * A VirtualMachineSnapshot.
 *
 * @public
 */
export interface VirtualMachineSnapshot extends KubeObject {
  spec: {
    source: { apiGroup?: string; kind: string; name: string };
    deletionPolicy?: 'Delete' | 'Retain';
    /** A Go duration ("5m0s"); `0` means no deadline. */
    failureDeadline?: string;
  };
  status?: {
    sourceUID?: string;
    virtualMachineSnapshotContentName?: string;
    creationTime?: string | null;
    phase?: 'InProgress' | 'Succeeded' | 'Failed' | 'Deleting' | 'Unknown';
    readyToUse?: boolean;
    error?: SnapshotError | null;
    conditions?: SnapshotCondition[];
    indications?: string[] | null;
    sourceIndications?: Array<{ indication: string; message: string }> | null;
    snapshotVolumes?: {
      includedVolumes?: string[];
      excludedVolumes?: string[];
    };
  };
}

/**
 * A volume of the snapshotted VM and the claim (metadata and spec) it was taken from.
 *
 * @public
 */
export interface VolumeBackup {
  volumeName: string;
  persistentVolumeClaim: {
    metadata: Partial<KubeObjectMeta>;
    spec: PersistentVolumeClaimSpecLike;
  };
  volumeSnapshotName?: string;
}

/**
 * A VirtualMachineSnapshotContent: the VM as snapshotted, and its volume backups.
 *
 * @public
 */
export interface VirtualMachineSnapshotContent extends KubeObject {
  spec: {
    virtualMachineSnapshotName?: string;
    source: {
      virtualMachine?: {
        metadata: Partial<KubeObjectMeta>;
        spec: VirtualMachine['spec'];
        status?: object;
      };
    };
    volumeBackups?: VolumeBackup[];
  };
  status?: {
    creationTime?: string | null;
    readyToUse?: boolean;
    error?: SnapshotError | null;
    volumeSnapshotStatus?: Array<{
      volumeSnapshotName: string;
      creationTime?: string | null;
      readyToUse?: boolean;
      error?: SnapshotError | null;
    }>;
  };
}

/**
 * One restored claim of a VirtualMachineRestore.
 *
 * @public
 */
export interface VolumeRestore {
  volumeName: string;
  persistentVolumeClaim: string;
  volumeSnapshotName: string;
  dataVolumeName?: string;
}

/**
 * A VirtualMachineRestore.
 *
 * @public
 */
export interface VirtualMachineRestore extends KubeObject {
  spec: {
    target: { apiGroup?: string; kind: string; name: string };
    virtualMachineSnapshotName: string;
    targetReadinessPolicy?:
      | 'StopTarget'
      | 'WaitGracePeriod'
      | 'FailImmediate'
      | 'WaitEventually';
    volumeRestorePolicy?: 'RandomizeNames' | 'InPlace' | 'PrefixTargetName';
    volumeOwnershipPolicy?: 'Vm' | 'None';
    patches?: string[];
    [field: string]: unknown;
  };
  status?: {
    restores?: VolumeRestore[];
    restoreTime?: string | null;
    deletedDataVolumes?: string[];
    complete?: boolean;
    conditions?: SnapshotCondition[];
  };
}
