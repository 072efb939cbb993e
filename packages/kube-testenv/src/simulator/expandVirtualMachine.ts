import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type {
  KubeVirtConfigurationLike,
  VirtualMachineInstanceObject,
} from '@vmportal/plugin-kubevirt-common';
import { errorStatus } from '../kubeClient';
import { legacyFirmwareUuid } from './firmwareUuid';
import { INSTANCETYPE_API, orNotFound } from './resources';
import type { SimulatorContext } from './SimulatorContext';
import type { VirtualMachine } from './types';

/** The apiserver's NotFound for an instancetype or preference, in its words. */
export class InstancetypeNotFound extends Error {}

/**
 * The VirtualMachine(Cluster)Instancetype or VirtualMachine(Cluster)Preference a
 * VM names (KubeVirt's `find` package: a kind starting with the namespaced kind
 * is namespaced, anything else cluster-wide); throws {@link InstancetypeNotFound}.
 */
export async function findInstancetypeOrPreference(
  ctx: SimulatorContext,
  namespace: string,
  ref: { name: string; kind?: string },
  what: 'instancetype' | 'preference',
): Promise<object> {
  const kind = (ref.kind ?? '').toLowerCase();
  const namespaced = kind.startsWith(
    what === 'instancetype'
      ? 'virtualmachineinstancetype'
      : 'virtualmachinepreference',
  );
  const plural = `virtualmachine${namespaced ? '' : 'cluster'}${what}s`;
  try {
    return namespaced
      ? await ctx.custom.getNamespacedCustomObject({
          ...INSTANCETYPE_API,
          plural,
          namespace,
          name: ref.name,
        })
      : await ctx.custom.getClusterCustomObject({
          ...INSTANCETYPE_API,
          plural,
          name: ref.name,
        });
  } catch (error) {
    if (errorStatus(error) === 404) {
      throw new InstancetypeNotFound(
        `${plural}.${INSTANCETYPE_API.group} "${ref.name}" not found`,
      );
    }
    throw error;
  }
}

/**
 * `SetupVMIFromVM`: the VMI the VM's template describes (the template's metadata
 * and spec, the firmware UUID, a default disk for every volume without one, and
 * the annotations naming the instancetype and preference), before the
 * instancetype, the preference and virt-api's defaults are applied.
 */
export function setupVmiFromVm(
  vm: VirtualMachine,
): VirtualMachineInstanceObject {
  const template = structuredClone(vm.spec.template);
  const name = vm.metadata.name!;
  const vmi: VirtualMachineInstanceObject = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: {
      ...template.metadata,
      name,
      namespace: vm.metadata.namespace,
      generateName: undefined,
      labels: template.metadata?.labels,
      annotations: { ...template.metadata?.annotations },
    },
    spec: template.spec,
  };
  vmi.spec.domain.firmware = {
    ...vmi.spec.domain.firmware,
    uuid: vmi.spec.domain.firmware?.uuid || legacyFirmwareUuid(name),
  };
  // util.SetDefaultVolumeDisk: a volume without a disk or filesystem gets a default disk.
  const devices = (vmi.spec.domain.devices ??= {});
  const named = new Set(
    [...(devices.disks ?? []), ...(devices.filesystems ?? [])].map(d => d.name),
  );
  for (const volume of vmi.spec.volumes ?? []) {
    if (!named.has(volume.name))
      (devices.disks ??= []).push({ name: volume.name });
  }
  if (vm.spec.instancetype) {
    const kind = (vm.spec.instancetype.kind ?? '').toLowerCase();
    const annotation = kind.startsWith('virtualmachineinstancetype')
      ? 'kubevirt.io/instancetype-name'
      : 'kubevirt.io/cluster-instancetype-name';
    vmi.metadata.annotations![annotation] = vm.spec.instancetype.name;
  }
  if (vm.spec.preference) {
    const kind = (vm.spec.preference.kind ?? '').toLowerCase();
    const annotation = kind.startsWith('virtualmachinepreference')
      ? 'kubevirt.io/preference-name'
      : 'kubevirt.io/cluster-preference-name';
    vmi.metadata.annotations![annotation] = vm.spec.preference.name;
  }
  return vmi;
}

/**
 * Applies the VM's instancetype and preference to `vmi` and adds virt-api's
 * create-time defaults, using KubeVirt's own code (the oracle), under the
 * cluster's KubeVirt configuration (or `configuration`). Rejects when an
 * instancetype or preference is missing or KubeVirt refuses the result.
 */
export async function applyInstancetypeAndDefaults(
  ctx: SimulatorContext,
  vm: VirtualMachine,
  vmi: VirtualMachineInstanceObject,
  configuration?: KubeVirtConfigurationLike,
): Promise<VirtualMachineInstanceObject> {
  const namespace = vm.metadata.namespace!;
  const instancetype = vm.spec.instancetype
    ? await findInstancetypeOrPreference(
        ctx,
        namespace,
        vm.spec.instancetype,
        'instancetype',
      )
    : undefined;
  const preference = vm.spec.preference
    ? await findInstancetypeOrPreference(
        ctx,
        namespace,
        vm.spec.preference,
        'preference',
      )
    : undefined;
  // The oracle renders a pod too, which needs the claims to exist: for defaulting
  // alone, stand in for the ones not there yet (the VMI controller reports those).
  const pvcs: V1PersistentVolumeClaim[] = [];
  for (const volume of vmi.spec.volumes ?? []) {
    const claimName =
      volume.persistentVolumeClaim?.claimName ?? volume.dataVolume?.name;
    if (!claimName) continue;
    const pvc = await orNotFound(
      ctx.core.readNamespacedPersistentVolumeClaim({
        namespace,
        name: claimName,
      }),
    );
    pvcs.push(
      pvc ?? {
        metadata: { name: claimName, namespace },
        spec: { accessModes: ['ReadWriteOnce'], volumeMode: 'Filesystem' },
      },
    );
  }
  const answer = await ctx.oracle.render({
    vmi: { ...vmi, metadata: { ...vmi.metadata, uid: vm.metadata.uid } },
    kubevirt: configuration ?? (await ctx.kubevirtConfiguration()),
    instancetype,
    preference,
    pvcs,
  });
  return answer.vmi;
}
