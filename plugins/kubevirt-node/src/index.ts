/**
 * Node library for the VM Portal's KubeVirt backend modules: the cluster service they
 * share (config read once, one transport per cluster and credential), its readers and
 * actor, and the auth strategy service for `authProvider`s beyond `serviceAccount`.
 *
 * @packageDocumentation
 */

export { kubevirtClustersServiceRef } from './service/kubevirtClustersServiceRef';
export { DefaultKubevirtClustersService } from './service/KubevirtClustersService';
export type {
  KubevirtCluster,
  KubevirtClustersService,
  KubevirtClusterSummary,
} from './service/KubevirtClustersService';
export { kubevirtAuthStrategyServiceRef } from './auth/kubevirtAuthStrategyServiceRef';
export type { KubevirtAuthStrategyRegistration } from './auth/kubevirtAuthStrategyServiceRef';
export type {
  KubevirtAuthStrategy,
  KubevirtCredential,
  KubevirtCredentialConfig,
} from './auth/KubevirtAuthStrategy';
export { ServiceAccountStrategy } from './auth/ServiceAccountStrategy';
export { readClustersConfig } from './readClustersConfig';
export type {
  KubevirtClusterConfig,
  KubevirtClusterCredentialConfig,
} from './readClustersConfig';
export { KubeApiTransport } from './transport/KubeApiTransport';
export type {
  KubeApiTransportOptions,
  KubeList,
  KubeListOptions,
  KubeRequestOptions,
  KubeWatchEnd,
  KubeWatchEvent,
  KubeWatchOptions,
} from './transport/KubeApiTransport';
export { VirtualMachineInventoryReader } from './cluster/VirtualMachineInventoryReader';
export type { KubeNamespace } from './cluster/VirtualMachineInventoryReader';
export { VirtualMachinePageReader } from './cluster/VirtualMachinePageReader';
export { RequestPlanningReader } from './cluster/RequestPlanningReader';
export type { PlanningState } from './cluster/RequestPlanningReader';
export { VirtualMachineActor } from './cluster/VirtualMachineActor';
export { KubernetesApiError, ResourceVersionExpiredError } from './errors';
