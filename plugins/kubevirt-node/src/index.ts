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
export { VirtualMachinePageCache } from './cluster/VirtualMachinePageCache';
export type {
  VirtualMachinePageCacheOptions,
  VirtualMachinePageReads,
} from './cluster/VirtualMachinePageCache';
export { RequestPlanningReader } from './cluster/RequestPlanningReader';
export { readDataSourceCloneSource } from './cluster/readDataSourceCloneSource';
export type {
  AaqObject,
  PlanningState,
  PlanningStateRequest,
} from './cluster/RequestPlanningReader';
export { VirtualMachineActor } from './cluster/VirtualMachineActor';
export { KubernetesApiError, ResourceVersionExpiredError } from './errors';
export {
  DEFAULT_OFFERED_SERIES,
  DEFAULT_OS_IMAGE_NAMESPACES,
  DEFAULT_PROTECTED_NAMESPACES,
  NAMESPACE_OWNER_LABEL,
  namespaceOwners,
  normaliseHost,
  protectedNamespacePattern,
  readKubevirtRequestsConfig,
  sameEntityRef,
} from './requests/KubevirtRequestsConfig';
export type { KubevirtRequestsConfig } from './requests/KubevirtRequestsConfig';
