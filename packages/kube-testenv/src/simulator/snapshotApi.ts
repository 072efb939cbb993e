import type {
  KubeObject,
  KubeObjectMeta,
  PersistentVolumeClaimSpecLike,
} from '@vmportal/plugin-kubevirt-common';
import { now } from './resources';
import type { VirtualMachine } from './types';

/*
 * KubeVirt's `snapshot.kubevirt.io/v1beta1` objects, as far as the simulator's
 * snapshot and restore controllers read and write them (the field names and
 * constants of KubeVirt v1.9's `kubevirt.io/api/snapshot/v1beta1`).
 */

/** `snapshot.kubevirt.io/v1beta1`. */
export const SNAPSHOT_API_VERSION = 'snapshot.kubevirt.io/v1beta1';

/** A snapshot or restore condition: unlike a VM's, it carries no message. */
export interface SnapshotCondition {
  type: 'Ready' | 'Progressing' | 'Failure';
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string | null;
}

/** `snapshotv1.Error`: the last error of a snapshot or its content. */
export interface SnapshotError {
  time?: string;
  message?: string;
}

/** A VirtualMachineSnapshot. */
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

/** A volume of the snapshotted VM and the claim (metadata and spec) it was taken from. */
export interface VolumeBackup {
  volumeName: string;
  persistentVolumeClaim: {
    metadata: Partial<KubeObjectMeta>;
    spec: PersistentVolumeClaimSpecLike;
  };
  volumeSnapshotName?: string;
}

/** A VirtualMachineSnapshotContent: the VM as snapshotted, and its volume backups. */
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

/** One restored claim of a VirtualMachineRestore. */
export interface VolumeRestore {
  volumeName: string;
  persistentVolumeClaim: string;
  volumeSnapshotName: string;
  dataVolumeName?: string;
}

/** A VirtualMachineRestore. */
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

/** `snapshotv1.DefaultFailureDeadline` and `DefaultGracePeriod`: five minutes each. */
export const DEFAULT_SNAPSHOT_DEADLINE_MS = 5 * 60_000;

/** A condition as KubeVirt's snapshot `newXCondition` helpers build it. */
export function snapshotCondition(
  type: SnapshotCondition['type'],
  status: SnapshotCondition['status'],
  reason: string,
): SnapshotCondition {
  return {
    type,
    status,
    reason,
    lastProbeTime: null,
    lastTransitionTime: now(),
  };
}

/**
 * KubeVirt's snapshot `updateCondition`: a condition is replaced only when its
 * status or reason changes, so its transition time keeps meaning "since when".
 */
export function setSnapshotCondition(
  conditions: SnapshotCondition[] | undefined,
  condition: SnapshotCondition,
): SnapshotCondition[] {
  const list = conditions ?? [];
  const index = list.findIndex(c => c.type === condition.type);
  if (index < 0) return [...list, condition];
  const current = list[index];
  if (
    current.status === condition.status &&
    current.reason === condition.reason
  )
    return list;
  return list.map((c, i) => (i === index ? condition : c));
}

/**
 * Milliseconds in a Go `time.Duration` string as `metav1.Duration` writes it
 * ("5m0s", "1h30m", "90s", "250ms"); `undefined` for anything else.
 */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const units: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  const part = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let index = 0;
  while (index < text.length) {
    part.lastIndex = index;
    const match = part.exec(text);
    if (!match) return undefined;
    total += Number(match[1]) * units[match[2]];
    index = part.lastIndex;
  }
  return index > 0 ? total : undefined;
}
