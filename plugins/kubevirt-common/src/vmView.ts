import type { z } from 'zod';
import type { quotaPlanRequestSchema } from './request/quotaPlanRequestSchema';
/**
 * The VM page's REST contract between @vmportal/plugin-kubevirt-backend and
 * @vmportal/plugin-kubevirt. Routes, under the backend's `/api/kubevirt`:
 *
 * - `GET  /v1/entities/:namespace/:kind/:name/vm` → {@link VirtualMachineView}
 * - `POST /v1/entities/:namespace/:kind/:name/power` body {@link PowerActionRequest}
 *   → 202 {@link PowerActionResult}
 * - `GET  /v1/quota/:cluster/:namespace` → {@link NamespaceQuotaSummary}
 * - `GET  /v1/teams/:namespace/:kind/:name/quota` → {@link TeamQuotaSummary}
 *
 * The browser only ever names catalog entities; clusters, tokens and CA data stay in
 * the backend.
 */

/** A power action on a virtual machine. @public */
export type PowerAction = 'start' | 'stop' | 'restart' | 'pause' | 'unpause';

/** Every power action, in the order the page shows them. @public */
export const POWER_ACTIONS: readonly PowerAction[] = [
  'start',
  'stop',
  'restart',
  'pause',
  'unpause',
];

/** Body of a power action request. @public */
export interface PowerActionRequest {
  action: PowerAction;
  /** Stop or restart without the guest's graceful shutdown (grace period 0). */
  force?: boolean;
}

/** What the backend did for a power action. @public */
export interface PowerActionResult {
  action: PowerAction;
  /** `subresource`: KubeVirt's API; `runStrategy`: a patch of spec.runStrategy. */
  via: 'subresource' | 'runStrategy';
  /** The VM's printableStatus when the action was accepted. */
  previousStatus: string;
}

/** A Kubernetes-style condition. @public */
export interface ViewCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** One network interface of the VM. @public */
export interface ViewInterface {
  name: string;
  /** `pod` network or the multus network's name. */
  network: string;
  binding?: string;
  mac?: string;
  ipAddresses: string[];
  interfaceName?: string;
}

/** One disk of the VM. @public */
export interface ViewDisk {
  name: string;
  bus?: string;
  /** containerDisk, dataVolume, persistentVolumeClaim, cloudInitNoCloud, … */
  type: string;
  /** Image, DataVolume or claim name. */
  source?: string;
  size?: string;
  storageClass?: string;
  /** DataVolume or PVC phase. */
  phase?: string;
  progress?: string;
  /**
   * For a disk hot-plugged into the running VM: how far KubeVirt has attached it
   * (the VMI's volume status: `Pending`, `AttachedToNode`, `MountedToPod`, `Ready`),
   * `Not attached` while the VMI does not list it yet.
   */
  hotplug?: string;
}

/** A recent event about the VM, its VMI or its launcher pod. @public */
export interface ViewEvent {
  type: string;
  reason: string;
  message: string;
  count: number;
  lastTimestamp?: string;
  object: { kind: string; name: string };
}

/**
 * One container of the launcher pod and what it asks for. A resource missing from
 * `limits` has no limit in this container.
 *
 * @public
 */
export interface ViewPodContainer {
  name: string;
  /**
   * `container` runs for the pod's life; `sidecar` is an init container with
   * `restartPolicy: Always` (also runs for the pod's life); `init` runs to completion
   * before the others start.
   */
  kind: 'container' | 'init' | 'sidecar';
  requests: Record<string, string>;
  limits: Record<string, string>;
}

/**
 * What keeps a VM from running, as {@link VirtualMachineDiagnosis} names it:
 *
 * - `paused`: its guest is paused;
 * - `missing-instancetype`, `missing-preference`: it names one that does not exist;
 * - `missing-disk`: a claim or DataVolume its volumes name does not exist;
 * - `import-failed`: a DataVolume's import or clone fails;
 * - `storage-class`: a DataVolume waits for a StorageClass that does not exist;
 * - `quota`: the namespace's ResourceQuota refuses its launcher pod or a disk's claim;
 * - `unschedulable`: no node has room for (or matches) its launcher pod;
 * - `import-waiting`: its disks are still being imported, cloned or uploaded;
 * - `failure`: KubeVirt reports another failure to start it.
 *
 * @public
 */
export type VirtualMachineDiagnosisCause =
  | 'paused'
  | 'missing-instancetype'
  | 'missing-preference'
  | 'missing-disk'
  | 'import-failed'
  | 'storage-class'
  | 'quota'
  | 'unschedulable'
  | 'import-waiting'
  | 'failure';

/**
 * How far a ResourceQuota is from admitting what the VM needs: the quota plan's
 * arithmetic (the launcher pod as KubeVirt renders it, against the quota's hard
 * limit and current use). Quantities are Kubernetes quantities.
 *
 * @public
 */
export interface QuotaShortfall {
  /** The ResourceQuota's name. */
  quota: string;
  /** The quota resource, e.g. `requests.memory`. */
  resource: string;
  /** What the VM asks for (its launcher pod's, or its claim's). */
  needs: string;
  /** `hard − used` now (zero when the quota is already full). */
  free: string;
  /** `needs − free`. */
  short: string;
}

/**
 * Where a diagnosis was read: a condition, an event or a status field of one object,
 * in KubeVirt's (or CDI's, or the scheduler's) words.
 *
 * @public
 */
export interface DiagnosisEvidence {
  /** The object it was read from, e.g. the VM, its VMI or a DataVolume. */
  object: { kind: string; name: string };
  /** Whether it is a condition, an event or a status field of `object`. */
  what: 'condition' | 'event' | 'status';
  /** The condition type, the event reason or the status field. */
  name: string;
  /** The condition's reason. */
  reason?: string;
  /** The condition's or event's message, or the status field's value. */
  message?: string;
}

/**
 * Why a VM is not running, in its owner's words, with what to do about it. Read from
 * the VM's status, conditions and events, those of its VMI, launcher pod and
 * DataVolumes, and for a quota refusal the namespace's ResourceQuotas.
 *
 * @public
 */
export interface VirtualMachineDiagnosis {
  /** What keeps the VM from running. */
  cause: VirtualMachineDiagnosisCause;
  /** What is wrong, in a sentence, e.g. "The namespace's quota has no room for this VM". */
  title: string;
  /** Which object and by how much, e.g. "ResourceQuota quota: requests.memory short by 1.2 GiB (needs 4.3 GiB, 3.1 GiB free)". */
  detail: string;
  /** What to do about it. */
  fix: string;
  /** For `quota`: each quota resource that does not fit. */
  shortfalls?: QuotaShortfall[];
  /** Where it was read. */
  evidence: DiagnosisEvidence;
}

/** Everything the VM page shows about one VM, read live from its cluster. @public */
export interface VirtualMachineView {
  cluster: string;
  namespace: string;
  name: string;
  uid: string;
  printableStatus: string;
  ready: boolean;
  runStrategy: string;
  conditions: ViewCondition[];
  size: {
    instancetype?: string;
    preference?: string;
    vcpus: number;
    memory: string;
  };
  guestOS?: {
    id?: string;
    name?: string;
    prettyName?: string;
    version?: string;
    kernelRelease?: string;
  };
  node?: string;
  /** When the running VMI started, for the uptime. */
  startedAt?: string;
  interfaces: ViewInterface[];
  disks: ViewDisk[];
  launcherPod?: {
    name: string;
    phase: string;
    qosClass?: string;
    /** Each container's own requests and limits: app containers first, then init containers. */
    containers: ViewPodContainer[];
    /**
     * The pod's effective requests, which the scheduler and ResourceQuota count: app
     * containers and sidecars summed, raised to what an init container needs while it runs.
     */
    requests: Record<string, string>;
    /**
     * The pod's limit of each resource that every container (init containers too)
     * limits; the kubelet caps the pod only then. A resource missing here has no limit
     * on the pod, even if some containers limit it.
     */
    limits: Record<string, string>;
  };
  events: ViewEvent[];
  /** The VirtualMachine as YAML, managed fields and status stripped. */
  manifest: string;
  /**
   * The id of the portal request that created the VM (its `vmportal.io/request-id`
   * annotation), when it came from one.
   */
  requestId?: string;
  /** Why the VM is not running, when something keeps it from running. */
  diagnosis?: VirtualMachineDiagnosis;
  /** Which power actions the signed-in user may take now, and why not. */
  power: {
    allowed: boolean;
    /** Why the user may not act (e.g. not an owner), when `allowed` is false. */
    deniedReason?: string;
    /** Actions that make sense in the VM's current state. */
    available: PowerAction[];
  };
  /**
   * Which day-2 changes the signed-in user may ask for by pull request
   * (`kubevirt.vm.change`, `kubevirt.vm.decommission`, `kubevirt.vm.adopt`, as the
   * policy decides for this VM's entity).
   */
  changes?: { change: boolean; decommission: boolean; adopt: boolean };
}

/** One quota in a namespace, with use. @public */
export interface QuotaUse {
  quota: string;
  /** An ApplicationAwareResourceQuota (AAQ) rather than a ResourceQuota. */
  quotaKind?: 'ApplicationAwareResourceQuota';
  resource: string;
  hard: string;
  used: string;
  /** used / hard, 0–1 (may exceed 1 when a quota was lowered). */
  fraction: number;
}

/** Quota use of one namespace. @public */
export interface NamespaceQuotaSummary {
  cluster: string;
  namespace: string;
  quotas: QuotaUse[];
}

/** A team's VMs and quota use across the namespaces it owns. @public */
export interface TeamQuotaSummary {
  team: string;
  vmCount: number;
  runningCount: number;
  namespaces: NamespaceQuotaSummary[];
}

/**
 * A size (KubeVirt instancetype) a cluster offers, as the sizes route sends it
 * (`GET /clusters/:cluster/sizes`).
 *
 * @public
 */
export interface VirtualMachineSize {
  /** The instancetype's name, e.g. `u1.medium`: the size picker's value. */
  name: string;
  /** `VirtualMachineClusterInstancetype` or `VirtualMachineInstancetype`. */
  kind: string;
  /** The series, e.g. `u1`. */
  series: string;
  /** The size within the series, e.g. `medium`. */
  size: string;
  vcpus: number;
  /** Guest memory as a Kubernetes quantity, e.g. `4Gi`. */
  memory: string;
  description?: string;
  /**
   * Whether the request form offers it first (its series is one of
   * `kubevirt.requests.offeredSeries`); the others are behind "show all sizes".
   */
  offered?: boolean;
}

/**
 * An OS image (golden image) a cluster publishes for new VMs: a CDI DataSource in one
 * of the namespaces configured for OS images (`GET /clusters/:cluster/images`).
 *
 * @public
 */
export interface OsImage {
  /** The DataSource's name and namespace, as the request's `image.dataSource` names it. */
  name: string;
  namespace: string;
  /** What people call it, e.g. `Fedora 41`. */
  title: string;
  /** The OS, from the default preference's display name, e.g. `Fedora`. */
  os?: string;
  /** The version, from the DataImportCron's image tag, e.g. `41`. */
  version?: string;
  /** The instancetype preselected for it (`instancetype.kubevirt.io/default-instancetype`). */
  defaultInstancetype?: string;
  /** The preference matched to it (`instancetype.kubevirt.io/default-preference`). */
  defaultPreference?: string;
  /**
   * The image's size, the root disk's smallest: what its DataImportCron imports it at,
   * else its source claim's capacity; e.g. `30Gi`. Unknown for snapshots.
   */
  size?: string;
  /** Whether CDI has the source ready to clone. */
  ready: boolean;
  /** Why not, in CDI's words. */
  notReadyReason?: string;
  /** When the DataImportCron last refreshed it (ISO time). */
  lastImported?: string;
}

/**
 * What the request form asks the plan route about
 * (`POST /clusters/:cluster/namespaces/:namespace/plan`): an instancetype, or vCPUs
 * and guest memory, an optional preference, plus extra disks.
 *
 * @public
 */
export type QuotaPlanRequest = z.input<typeof quotaPlanRequestSchema>;

/**
 * Power actions that make sense for a VM in `printableStatus` (KubeVirt's states),
 * so the page offers only those.
 *
 * @public
 */
export function availablePowerActions(printableStatus: string): PowerAction[] {
  switch (printableStatus) {
    case 'Stopped':
      return ['start'];
    case 'Running':
      return ['stop', 'restart', 'pause'];
    case 'Paused':
      return ['stop', 'unpause'];
    case 'CrashLoopBackOff':
    case 'ErrorUnschedulable':
    case 'Starting':
    case 'Provisioning':
    case 'WaitingForVolumeBinding':
    case 'ErrImagePull':
    case 'ImagePullBackOff':
    case 'ErrorPvcNotFound':
    case 'DataVolumeError':
      return ['stop'];
    default:
      // Stopping, Terminating, Migrating, Unknown: wait for KubeVirt to settle.
      return [];
  }
}
