/**
 * A local, real Kubernetes control plane for tests and the demo: kube-apiserver, etcd
 * and kube-controller-manager built from their Go modules, KubeVirt's and CDI's CRDs
 * generated from their own Go modules, and a KubeVirt simulator playing virt-controller.
 *
 * @packageDocumentation
 */

export { ensureBinaries } from './binaries';
export { freePort, isPortFree } from './daemons';
export type { KubeTestenvBinaries } from './binaries';
export {
  readClusters,
  readYamlDir,
  startApiserver,
  startControlPlane,
  stopApiserver,
  stopControlPlane,
  waitUntil,
} from './ControlPlane';
export type {
  ClusterInfo,
  ControlPlane,
  StartControlPlaneOptions,
} from './ControlPlane';
export {
  applyObjects,
  describeError,
  errorStatus,
  kubeConfigFor,
  KubeRequestError,
  kubeRequest,
  ResourcePaths,
} from './kubeClient';
export type { ClusterAccess } from './kubeClient';
export {
  ACTOR_SERVICE_ACCOUNT,
  PORTAL_NAMESPACE,
  PORTAL_RBAC_FILE,
  READER_SERVICE_ACCOUNT,
} from './portalAccess';
export { GOLDEN_IMAGES, GOLDEN_IMAGES_NAMESPACE } from './seed/goldenImages';
export type { GoldenImage } from './seed/goldenImages';
export { OWNER_LABEL, seedDemo } from './seed/seedDemo';
export {
  adminKubeConfig,
  createTestNamespace,
  deleteTestNamespace,
  startPrivateControlPlane,
  testClusters,
} from './testing';
