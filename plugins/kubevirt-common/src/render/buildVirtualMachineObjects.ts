import type {
  DiskStorageRequest,
  OsImageRequest,
  VirtualMachineRequest,
} from '../request/VirtualMachineRequest';
import { VIRTUAL_MACHINE_REQUEST_ID_ANNOTATION } from '../request/trackedRequest';
import { cloudInitUserData } from './cloudInitUserData';

/** Label and annotation keys the portal writes on the VMs it renders. */
export const PORTAL_KEYS = {
  managedBy: 'app.kubernetes.io/managed-by',
  owner: 'vmportal.io/owner',
  requestedBy: 'vmportal.io/requested-by',
  description: 'vmportal.io/description',
} as const;

/**
 * A Kubernetes object as plain data, ready to serialise.
 *
 * @public
 */
export interface KubernetesManifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
  [field: string]: unknown;
}

/**
 * How a VM request becomes objects.
 *
 * @public
 */
export interface BuildVirtualMachineOptions {
  /** Entity ref of the person who asked (`user:default/jane`), put in an annotation. */
  requestedBy?: string;
  /**
   * The id of the request (the scaffolder task's id), put in the
   * `vmportal.io/request-id` annotation so the VM page links back to the request.
   */
  requestId?: string;
  /**
   * `templates` (default): persistent disks as the VM's `dataVolumeTemplates`, created and
   * deleted with it; `standalone`: separate DataVolume objects the VM refers to.
   */
  dataVolumes?: 'templates' | 'standalone';
}

const REQUESTED_BY =
  /^[a-z][a-z0-9-]{0,62}:([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

const REQUEST_ID = /^[A-Za-z0-9][-A-Za-z0-9]{0,62}$/;

/**
 * A DataVolume spec with a `storage` section. Without a size (a clone of a DataSource),
 * `storage` names no `resources`: CDI v1.65 then sizes the claim from the clone's
 * source (its webhook's validateStorageSize allows it for sourceRef, pvc and snapshot
 * sources; KubeVirt only needs `storage` to be there).
 */
function dataVolumeSpec(
  source: Record<string, unknown>,
  storage: Partial<DiskStorageRequest>,
) {
  return {
    ...source,
    storage: {
      ...(storage.size && {
        resources: { requests: { storage: storage.size } },
      }),
      ...(storage.storageClass && { storageClassName: storage.storageClass }),
    },
  };
}

function osDataVolumeSource(
  image: OsImageRequest,
): Record<string, unknown> | undefined {
  if ('dataSource' in image) {
    return {
      sourceRef: {
        kind: 'DataSource',
        name: image.dataSource.name,
        namespace: image.dataSource.namespace,
      },
    };
  }
  if ('registry' in image)
    return { source: { registry: { url: image.registry.url } } };
  if ('http' in image) return { source: { http: { url: image.http.url } } };
  return undefined;
}

/** The DataVolume name of a VM's disk. */
export function dataVolumeName(vmName: string, diskName: string): string {
  return `${vmName}-${diskName}`;
}

/**
 * The Kubernetes objects for a validated VM request: the VirtualMachine first, then
 * (with `dataVolumes: 'standalone'`) one DataVolume per persistent disk. Every value
 * comes from the validated request or from fixed text; nothing is pasted into YAML.
 *
 * @public
 */
export function buildVirtualMachineObjects(
  request: VirtualMachineRequest,
  options: BuildVirtualMachineOptions = {},
): KubernetesManifest[] {
  if (
    options.requestedBy !== undefined &&
    !REQUESTED_BY.test(options.requestedBy)
  ) {
    throw new Error(
      `requestedBy '${String(options.requestedBy).slice(
        0,
        80,
      )}' is not an entity ref such as user:default/jane`,
    );
  }
  if (options.requestId !== undefined && !REQUEST_ID.test(options.requestId)) {
    throw new Error(
      `requestId '${String(options.requestId).slice(
        0,
        80,
      )}' is not a request id (1 to 63 letters, digits and dashes)`,
    );
  }
  const standalone = options.dataVolumes === 'standalone';
  const { name, namespace } = request;
  const ownerRef = /^group:([^/]+)\/(.+)$/.exec(request.owner);
  const portalLabels: Record<string, string> = {
    [PORTAL_KEYS.managedBy]: 'vmportal',
  };
  // A label value cannot hold ':' or '/': the owner label carries the group name when
  // the group is in the default catalog namespace; the annotation always has the full ref.
  if (ownerRef && ownerRef[1] === 'default')
    portalLabels[PORTAL_KEYS.owner] = ownerRef[2];
  const labels = Object.fromEntries([
    ...Object.entries(request.labels),
    ...Object.entries(portalLabels),
  ]);
  const annotations: Record<string, string> = {
    [PORTAL_KEYS.owner]: request.owner,
  };
  if (options.requestedBy)
    annotations[PORTAL_KEYS.requestedBy] = options.requestedBy;
  if (options.requestId)
    annotations[VIRTUAL_MACHINE_REQUEST_ID_ANNOTATION] = options.requestId;
  if (request.description !== undefined) {
    annotations[PORTAL_KEYS.description] = request.description;
  }

  const preference = request.size.preference;
  // Without a preference KubeVirt would default disks to SATA; virtio is what Linux
  // guests want. A preference chooses the bus itself (Windows without drivers: SATA).
  const diskDevice = () =>
    preference ? { disk: {} } : { disk: { bus: 'virtio' } };
  const disks: Array<Record<string, unknown>> = [];
  const volumes: Array<Record<string, unknown>> = [];
  const dataVolumes: Array<{ name: string; spec: Record<string, unknown> }> =
    [];

  disks.push({ name: 'rootdisk', bootOrder: 1, ...diskDevice() });
  const osSource = osDataVolumeSource(request.image);
  if ('containerDisk' in request.image) {
    volumes.push({
      name: 'rootdisk',
      containerDisk: { image: request.image.containerDisk.image },
    });
  } else if (osSource) {
    const dvName = dataVolumeName(name, 'rootdisk');
    dataVolumes.push({
      name: dvName,
      spec: dataVolumeSpec(osSource, request.image),
    });
    volumes.push({ name: 'rootdisk', dataVolume: { name: dvName } });
  }
  for (const disk of request.disks) {
    const dvName = dataVolumeName(name, disk.name);
    dataVolumes.push({
      name: dvName,
      spec: dataVolumeSpec({ source: { blank: {} } }, disk),
    });
    disks.push({ name: disk.name, ...diskDevice() });
    volumes.push({ name: disk.name, dataVolume: { name: dvName } });
  }
  disks.push({ name: 'cloudinitdisk', ...diskDevice() });
  volumes.push({
    name: 'cloudinitdisk',
    cloudInitNoCloud: {
      userData: cloudInitUserData({ sshPublicKey: request.sshPublicKey }),
    },
  });

  const interfaces = request.networkInterfaces.map(nic => ({
    name: nic.name,
    [nic.binding]: {},
  }));
  const networks = request.networkInterfaces.map(nic =>
    nic.type === 'pod'
      ? { name: nic.name, pod: {} }
      : { name: nic.name, multus: { networkName: nic.networkName } },
  );

  const domain: Record<string, unknown> = { devices: { disks, interfaces } };
  const vmSpec: Record<string, unknown> = { runStrategy: request.runStrategy };
  if ('instancetype' in request.size) {
    vmSpec.instancetype = {
      kind: request.size.instancetype.kind,
      name: request.size.instancetype.name,
    };
  } else {
    const { cores, sockets, threads } = request.size.cpu;
    domain.cpu = {
      cores,
      ...(sockets !== undefined && { sockets }),
      ...(threads !== undefined && { threads }),
    };
    domain.memory = { guest: request.size.memory };
  }
  if (preference)
    vmSpec.preference = { kind: preference.kind, name: preference.name };

  const dataVolumeLabels = { ...portalLabels };
  if (!standalone && dataVolumes.length > 0) {
    vmSpec.dataVolumeTemplates = dataVolumes.map(dv => ({
      metadata: { name: dv.name, labels: { ...dataVolumeLabels } },
      spec: dv.spec,
    }));
  }
  const templateLabels = { ...request.labels };
  vmSpec.template = {
    ...(Object.keys(templateLabels).length > 0 && {
      metadata: { labels: templateLabels },
    }),
    spec: { domain, networks, volumes },
  };

  const vm: KubernetesManifest = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace, labels, annotations },
    spec: vmSpec,
  };
  if (!standalone) return [vm];
  return [
    vm,
    ...dataVolumes.map(dv => ({
      apiVersion: 'cdi.kubevirt.io/v1beta1',
      kind: 'DataVolume',
      metadata: { name: dv.name, namespace, labels: { ...dataVolumeLabels } },
      spec: dv.spec,
    })),
  ];
}
