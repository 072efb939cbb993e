/**
 * Types, entity annotations, permissions and pure logic shared by the VM Portal's
 * KubeVirt plugins (frontend and backend alike; no I/O).
 *
 * @packageDocumentation
 */

export {
  KUBEVIRT_ANNOTATIONS,
  VIRTUAL_MACHINE_COMPONENT_TYPE,
  virtualMachineEntityLocation,
} from './annotations';
export { KUBEVIRT_ENTITY_LABELS } from './entityLabels';
export {
  instancetypeSeries,
  looksLikeIpAddress,
  VIRTUAL_MACHINE_STATES_LIMIT,
  virtualMachineAddressQuerySchema,
  virtualMachineStatesRequestSchema,
} from './inventory';
export type {
  VirtualMachineAddressMatch,
  VirtualMachineAddressSearchResponse,
  VirtualMachineLiveState,
  VirtualMachineStateGap,
  VirtualMachineStatesResponse,
} from './inventory';
export {
  kubevirtPermissions,
  kubevirtQuotaReadPermission,
  kubevirtRequestReadPermission,
  kubevirtVmPlanPermission,
  kubevirtVmPowerPermission,
  kubevirtVmChangePermission,
  kubevirtVmDecommissionPermission,
  kubevirtVmAdoptPermission,
  kubevirtVmConsolePermission,
  kubevirtVmMigratePermission,
  kubevirtVmSnapshotPermission,
  kubevirtVmReadPermission,
  kubevirtVmRequestPermission,
} from './permissions';
export {
  CONFIG_VOLUME_SOURCES,
  VIRTUAL_MACHINE_RUN_STRATEGIES,
  virtualMachineRunStrategy,
  volumeSourceType,
} from './virtualMachine';
export { availablePowerActions, POWER_ACTIONS } from './vmView';
export type {
  DiagnosisEvidence,
  NamespaceQuotaSummary,
  OsImage,
  PowerAction,
  PowerActionRequest,
  PowerActionResult,
  QuotaPlanRequest,
  QuotaShortfall,
  QuotaUse,
  TeamQuotaSummary,
  ViewCondition,
  ViewDisk,
  ViewEvent,
  ViewInterface,
  ViewPodContainer,
  VirtualMachineDiagnosis,
  VirtualMachineDiagnosisCause,
  VirtualMachineSize,
  VirtualMachineView,
} from './vmView';
export { Quantity } from './kube/Quantity';
export type { QuantityFormat } from './kube/Quantity';
export type {
  JsonPatchOperation,
  KubeEventObject,
  KubeObject,
  KubeObjectMeta,
  KubeOwnerReference,
  LabelSelectorLike,
  LimitRangeItemLike,
  LimitRangeLike,
  NodeObject,
  PersistentVolumeClaimObject,
  PersistentVolumeClaimSpecLike,
  PodContainerResourcesLike,
  PodObject,
  PodSpecResourcesLike,
  ResourceListLike,
  ResourceQuotaLike,
  StorageClassObject,
  VolumeSnapshotObject,
} from './kube/kubernetesObjects';
export type {
  CdiConfigLike,
  CdiConfigObject,
  DataImportCronObject,
  DataSourceObject,
  DataVolumeObject,
  DataVolumeSpec,
  DataVolumeTemplate,
  InstancetypeObject,
  InstancetypeSpecLike,
  KubevirtCondition,
  KubevirtInterface,
  KubevirtNetwork,
  KubevirtObject,
  KubeVirtConfigurationLike,
  PreferenceObject,
  PreferenceSpecLike,
  StorageProfileObject,
  VirtualMachine,
  VirtualMachineInstanceLike,
  VirtualMachineInstanceMigrationObject,
  VirtualMachineInstanceMigrationState,
  VirtualMachineInstanceObject,
  VirtualMachineInstancePhase,
  VirtualMachineInstanceSpecLike,
  VirtualMachineInstanceStatus,
  VirtualMachineInstancetype,
  VirtualMachineStateChangeRequest,
  VirtualMachineStatus,
  VirtualMachineVolume,
} from './kube/kubevirtObjects';
export type {
  ContainerResources,
  LimitRangeOutcome,
  ResourceQuantities,
} from './kube/podResources';
export {
  applyPodApiDefaults,
  formatResourceList,
  parseResourceList,
  podContainerResources,
  podQuotaUsage,
  podResourceTotals,
} from './kube/podResources';
export type {
  CustomSizeRequest,
  DataDiskRequest,
  DiskStorageRequest,
  InstancetypeSizeRequest,
  NetworkInterfaceRequest,
  OsImageRequest,
  PreferenceRequest,
  VirtualMachineRequest,
  VirtualMachineRequestRunStrategy,
  VirtualMachineSizeRequest,
} from './request/VirtualMachineRequest';
export {
  validateVirtualMachineRequest,
  virtualMachineRequestProblems,
} from './request/validateVirtualMachineRequest';
export { virtualMachineRequestSchema } from './request/virtualMachineRequestSchema';
export { quotaPlanRequestSchema } from './request/quotaPlanRequestSchema';
export {
  CHANGEABLE_RUN_STRATEGIES,
  virtualMachineChangeSchema,
} from './change/virtualMachineChangeSchema';
export type {
  VirtualMachineChange,
  VirtualMachineChangeKind,
} from './change/virtualMachineChangeSchema';
export type {
  VirtualMachineChangePlan,
  VirtualMachineChangeTiming,
} from './change/virtualMachineChangePlan';
export {
  applyVirtualMachineChange,
  VirtualMachineChangeError,
} from './change/applyVirtualMachineChange';
export { planVirtualMachineChange } from './change/planVirtualMachineChange';
export type { PlanVirtualMachineChangeInput } from './change/planVirtualMachineChange';
export { describeVirtualMachineSize } from './change/describeVirtualMachineSize';
export { liveUpdateProblem } from './change/liveUpdateProblem';
export { virtualMachineChangePermission } from './change/virtualMachineChangePermission';
export { launcherPodOfVirtualMachine } from './quota/launcherPodOfVirtualMachine';
export {
  VIRTUAL_MACHINE_CHANGE_ID_ANNOTATION,
  VIRTUAL_MACHINE_REQUEST_ID_ANNOTATION,
  VIRTUAL_MACHINE_REQUEST_STAGES,
} from './request/trackedRequest';
export type {
  TrackedVirtualMachineRequest,
  VirtualMachineRequestRecord,
  VirtualMachineRequestStage,
  VirtualMachineRequestVmState,
} from './request/trackedRequest';
export { VirtualMachineRequestError } from './request/VirtualMachineRequestError';
export type { VirtualMachineRequestProblem } from './request/VirtualMachineRequestError';
export { parseSshPublicKey } from './request/sshPublicKey';
export type { SshPublicKeyInfo } from './request/sshPublicKey';
export { SizeCatalog } from './sizes/SizeCatalog';
export type {
  InstancetypeSize,
  PreferenceEntry,
  SizeReference,
  SkippedSizeObject,
} from './sizes/SizeCatalog';
export { commonInstancetypes } from './sizes/commonInstancetypes';
export { launcherPodResources } from './quota/launcherPodResources';
export { KUBEVIRT_VERSION } from './quota/kubevirtSettings';
export { InstancetypeConflictError } from './quota/applyInstancetype';
export type {
  LauncherPodCluster,
  LauncherPodInput,
  LauncherPodResources,
} from './quota/launcherPodResources';
export { planQuota } from './quota/planQuota';
export {
  AAQ_DEFAULT_NAMESPACE_SELECTOR,
  AAQ_MANAGED_QUOTA_SUFFIX,
  AAQ_SCHEDULING_GATE,
  AAQ_VERSION,
  aaqCalculationMode,
  aaqGatesNamespace,
  aaqLauncherPodUsage,
  aaqMemoryOverhead,
  aaqPodUsage,
  aaqVirtualResources,
  isAaqSchedulableResource,
} from './quota/applicationAwareQuota';
export type {
  AaqCalculationMode,
  AaqMigration,
  AaqNamespaceState,
  AaqPod,
  AaqVirtualMachineInstance,
} from './quota/applicationAwareQuota';
export type {
  PlanQuotaInput,
  QuotaPlan,
  QuotaPlanRow,
} from './quota/planQuota';
export type {
  DiskClaimPlan,
  StorageClassInfo,
} from './quota/dataVolumeStorage';
export {
  CDI_DEFAULT_FILESYSTEM_OVERHEAD,
  cdiRequiredSpace,
} from './quota/dataVolumeStorage';
export type { CloneSourceInfo } from './quota/cloneSource';
export { cloneSourceOf } from './quota/cloneSource';
export { storageClassInfo } from './quota/storageClassInfo';
export { formatQuantityForHumans } from './quota/formatQuantityForHumans';
export { buildVirtualMachineObjects } from './render/buildVirtualMachineObjects';
export { cleanVirtualMachineManifest } from './render/cleanVirtualMachineManifest';
export type {
  BuildVirtualMachineOptions,
  KubernetesManifest,
} from './render/buildVirtualMachineObjects';
export { renderVirtualMachine } from './render/renderVirtualMachine';
export type {
  RenderedVirtualMachine,
  RenderVirtualMachineOptions,
} from './render/renderVirtualMachine';
export { cloudInitUserData } from './render/cloudInitUserData';
export { toYaml } from './render/serializeYaml';
export { visibleMessage, visibleText } from './text/visibleText';
export type {
  MigrationStatus,
  MigrationTargetNode,
  VirtualMachineMigrationPlan,
} from './migrationPlan';
export type {
  SnapshotCondition,
  SnapshotError,
  VirtualMachineRestore,
  VirtualMachineSnapshot,
  VirtualMachineSnapshotContent,
  VolumeBackup,
  VolumeRestore,
} from './kube/snapshotObjects';
export type {
  ViewRestore,
  ViewSnapshot,
  VirtualMachineSnapshots,
} from './snapshotsView';
export { dns1123SubdomainProblem } from './kube/kubernetesNames';
export {
  CONSOLE_PROTOCOL,
  CONSOLE_TOKEN_PROTOCOL_PREFIX,
  consoleProtocols,
} from './consoleProtocol';
