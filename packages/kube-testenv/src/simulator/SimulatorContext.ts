import type {
  CoreV1Api,
  CustomObjectsApi,
  V1PersistentVolumeClaim,
  V1ResourceQuota,
} from '@kubernetes/client-node';
import type {
  DataVolumeObject,
  KubeVirtConfigurationLike,
  VirtualMachineInstanceObject,
} from '@vmportal/plugin-kubevirt-common';
import type { AaqObject } from './ApplicationAwareQuotaController';
import type { EventRecorder } from './EventRecorder';
import type { LauncherPodOracle } from './LauncherPodOracle';
import type { Migration } from './MigrationController';
import type { VirtualMachine } from './types';

/** How long simulated things take (milliseconds). */
export interface SimulatorTiming {
  /** Bound launcher pod → containers running. */
  containerStartMs: number;
  /** Deleted pod → containers exited. */
  shutdownMs: number;
  /** Pod ready → guest running (virt-handler starting the domain). */
  guestBootMs: number;
  /** A DataVolume's whole import, from PVC bound to Succeeded. */
  importMs: number;
  /** A live migration, from the hand-off to the target to the guest running there. */
  migrationMs: number;
}

/** Default timings: short, yet long enough for a UI (or a watch) to see each state. */
export const DEFAULT_TIMING: SimulatorTiming = {
  containerStartMs: 300,
  shutdownMs: 500,
  guestBootMs: 300,
  importMs: 2000,
  migrationMs: 500,
};

/** Objects as last seen by the simulator's watches (may lag the apiserver a little). */
export interface SimulatorCaches {
  virtualMachines(namespace?: string): ReadonlyArray<VirtualMachine>;
  virtualMachineInstances(
    namespace?: string,
  ): ReadonlyArray<VirtualMachineInstanceObject>;
  dataVolume(namespace: string, name: string): DataVolumeObject | undefined;
  pvc(namespace: string, name: string): V1PersistentVolumeClaim | undefined;
  resourceQuotas(namespace: string): ReadonlyArray<V1ResourceQuota>;
  /** Application Aware Quota's CR, when AAQ is installed (one per cluster). */
  aaq(): AaqObject | undefined;
  /** VirtualMachineInstanceMigrations. */
  migrations(namespace?: string): ReadonlyArray<Migration>;
}

/** What every part of one cluster's simulator shares. */
export interface SimulatorContext {
  cluster: string;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  events: EventRecorder;
  oracle: LauncherPodOracle;
  caches: SimulatorCaches;
  timing: SimulatorTiming;
  /** The KubeVirt CR's `spec.configuration`, if a KubeVirt CR exists. */
  kubevirtConfiguration(): Promise<KubeVirtConfigurationLike | undefined>;
  /**
   * The KubeVirt CR's `spec.workloadUpdateStrategy.workloadUpdateMethods` (an
   * empty list if the CR has none), or undefined when there is no KubeVirt CR.
   */
  workloadUpdateMethods(): Promise<string[] | undefined>;
  log: (line: string) => void;
}
