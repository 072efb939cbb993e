/**
 * Node library for the VM Portal's KubeVirt backend modules: the cluster config reader
 * and the KubeVirt client they share.
 *
 * @packageDocumentation
 */

export { readClustersConfig } from './readClustersConfig';
export type { KubevirtClusterConfig } from './readClustersConfig';
export { KubevirtClient } from './KubevirtClient';
export { readPlanningState } from './readPlanningState';
export type { PlanningState } from './readPlanningState';
export type {
  KubeList,
  KubeListOptions,
  KubeNamespace,
  KubeWatchEnd,
  KubeWatchEvent,
  KubeWatchOptions,
} from './KubevirtClient';
export { KubernetesApiError, ResourceVersionExpiredError } from './errors';
export type {
  DataVolumeObject,
  JsonPatchOperation,
  KubeEventObject,
  KubeObject,
  KubeObjectMetadata,
  KubevirtPowerSubresource,
  PersistentVolumeClaimObject,
  PodContainerObject,
  PodObject,
  StorageClassObject,
  VirtualMachineInstanceObject,
} from './vmPageObjects';
export type {
  CdiConfigObject,
  KubevirtObject,
  StorageProfileObject,
} from './requestPlanningObjects';
