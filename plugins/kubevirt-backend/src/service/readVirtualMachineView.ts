import {
  DataVolumeObject,
  KubeEventObject,
  PersistentVolumeClaimObject,
  VIRTUAL_MACHINE_REQUEST_ID_ANNOTATION,
  VirtualMachine,
  VirtualMachineView,
  virtualMachineRunStrategy,
} from '@vmportal/plugin-kubevirt-common';
import type {
  RequestPlanningReader,
  VirtualMachinePageReads,
} from '@vmportal/plugin-kubevirt-node';
import {
  diagnoseVirtualMachine,
  diagnosisNeeds,
  VirtualMachineFacts,
} from '../lib/diagnoseVirtualMachine';
import { launcherPodQuotaShortfalls } from '../lib/launcherPodQuotaShortfalls';
import {
  launcherPodSummary,
  manifestYaml,
  launcherPodOf,
  viewConditions,
  viewDisks,
  viewEvents,
  viewGuestOS,
  viewInterfaces,
  virtualMachineSize,
  vmiStartedAt,
  volumeClaimName,
} from '../lib/virtualMachineView';
import { redactVirtualMachine } from '../lib/redactVirtualMachine';

/** Manifests rendered for the page, by VM uid and resourceVersion (one version per VM). */
const manifests = new Map<string, { version: string; yaml: string }>();
/** VMs whose manifest is kept; the oldest entry goes first beyond it. */
const MANIFESTS_KEPT = 2000;

/**
 * The redacted VM's YAML, rendered once per version of the VM: many views of the
 * same VM (every open page polls) show the same text.
 */
function cachedManifestYaml(vm: VirtualMachine): string {
  const { uid, resourceVersion } = vm.metadata;
  if (!uid || !resourceVersion) return manifestYaml(vm);
  const kept = manifests.get(uid);
  if (kept?.version === resourceVersion) return kept.yaml;
  const yaml = manifestYaml(vm);
  manifests.delete(uid);
  manifests.set(uid, { version: resourceVersion, yaml });
  if (manifests.size > MANIFESTS_KEPT) {
    manifests.delete(manifests.keys().next().value!);
  }
  return yaml;
}

/** How many events the page shows at most. */
export const EVENTS_LIMIT = 30;

const VM_KINDS = new Set(['VirtualMachine', 'VirtualMachineInstance']);

/**
 * Reads a VM and everything the page shows about it from its cluster: the VM, its
 * VMI, the launcher pod, the DataVolumes and claims of its volumes, the instancetype
 * and the recent events of the VM, VMI and pod. Everything but the user's power
 * rights. Cloud-init data and other secrets in the VM are redacted for every reader
 * (see {@link redactVirtualMachine}).
 *
 * Two rounds of parallel reads: the VM (`readVm`, which the caller checks), its VMI,
 * its events and the pods named after it; then what those name (the instancetype,
 * the volumes' DataVolumes and claims, the launcher pod's events). `client` is the
 * cluster's page cache, which answers them from shared watches once the namespace's
 * are synced, so most views cost the apiserver nothing.
 *
 * When something keeps the VM from running, `diagnosis` says what (see
 * {@link diagnoseVirtualMachine}); only then does it read more through `planning`:
 * the namespace's quotas and what the quota plan counts (for a launcher pod a quota
 * refused), or the cluster's storage classes (for a disk waiting for one).
 *
 * @internal
 */
export async function readVirtualMachineView(
  client: VirtualMachinePageReads,
  target: { namespace: string; name: string },
  readVm: Promise<VirtualMachine>,
  planning: Pick<
    RequestPlanningReader,
    'readPlanningState' | 'listStorageClassInfo'
  >,
): Promise<Omit<VirtualMachineView, 'power'>> {
  const { namespace, name } = target;
  const [live, vmi, vmEvents, namedPods] = await Promise.all([
    readVm,
    client.getVirtualMachineInstance(namespace, name),
    client.listEventsAbout(namespace, { name }),
    client.listVirtualMachinePods(namespace, name),
  ]);
  const vm = redactVirtualMachine(live);
  const volumes = vm.spec.template?.spec?.volumes ?? [];
  const pod = launcherPodOf(vmi, namedPods);

  const [instancetype, storage, podEvents] = await Promise.all([
    vm.spec.instancetype?.name
      ? client.getInstancetype(vm.spec.instancetype, namespace)
      : Promise.resolve(undefined),
    readStorage(client, namespace, volumes),
    pod
      ? client.listEventsAbout(namespace, {
          name: pod.metadata.name ?? '',
          kind: 'Pod',
        })
      : Promise.resolve([] as KubeEventObject[]),
  ]);

  const view: Omit<VirtualMachineView, 'power'> = {
    cluster: client.cluster,
    namespace,
    name,
    uid: vm.metadata.uid ?? '',
    printableStatus: vm.status?.printableStatus ?? 'Unknown',
    ready: vm.status?.ready === true,
    runStrategy: virtualMachineRunStrategy(vm),
    conditions: viewConditions(vm),
    size: virtualMachineSize(vm, instancetype),
    interfaces: viewInterfaces(vm, vmi),
    disks: viewDisks(vm, storage.dataVolumes, storage.claims, vmi),
    events: viewEvents(
      [
        ...vmEvents.filter(e => VM_KINDS.has(e.involvedObject?.kind ?? '')),
        ...podEvents,
      ],
      EVENTS_LIMIT,
    ),
    manifest: cachedManifestYaml(vm),
  };
  const guestOS = viewGuestOS(vmi);
  if (guestOS) view.guestOS = guestOS;
  if (vmi?.status?.nodeName) view.node = vmi.status.nodeName;
  const startedAt = vmiStartedAt(vmi);
  if (startedAt) view.startedAt = startedAt;
  if (pod) view.launcherPod = launcherPodSummary(pod);
  const requestId =
    vm.metadata.annotations?.[VIRTUAL_MACHINE_REQUEST_ID_ANNOTATION];
  if (requestId) view.requestId = requestId;
  const diagnosis = await diagnose(planning, {
    cluster: client.cluster,
    vm: live,
    vmi,
    launcherPod: pod,
    dataVolumes: storage.dataVolumes,
    claims: storage.claims,
  });
  if (diagnosis) view.diagnosis = diagnosis;
  return view;
}

/**
 * The diagnosis, with the reads it asks for. Those reads only sharpen it (how much,
 * what instead): when they fail, the diagnosis goes without them.
 */
async function diagnose(
  planning: Pick<
    RequestPlanningReader,
    'readPlanningState' | 'listStorageClassInfo'
  >,
  facts: VirtualMachineFacts,
) {
  const needs = diagnosisNeeds(facts);
  if (needs?.read === 'quota') {
    const { vm } = facts;
    const networkNames = (vm.spec.template?.spec?.networks ?? []).flatMap(
      network =>
        network.multus?.networkName ? [network.multus.networkName] : [],
    );
    const state = await planning
      .readPlanningState(vm.metadata.namespace ?? '', { networkNames })
      .catch(() => undefined);
    if (state) {
      return diagnoseVirtualMachine({
        ...facts,
        quotaShortfalls: launcherPodQuotaShortfalls(vm, state, needs.quota),
      });
    }
  }
  if (needs?.read === 'storageClasses') {
    const classes = await planning
      .listStorageClassInfo()
      .catch(() => undefined);
    if (classes) {
      return diagnoseVirtualMachine({
        ...facts,
        storageClasses: classes.map(c => c.name),
      });
    }
  }
  return diagnoseVirtualMachine(facts);
}

async function readStorage(
  client: VirtualMachinePageReads,
  namespace: string,
  volumes: NonNullable<
    NonNullable<
      NonNullable<VirtualMachine['spec']['template']>['spec']
    >['volumes']
  >,
) {
  const dataVolumes = new Map<string, DataVolumeObject>();
  const claims = new Map<string, PersistentVolumeClaimObject>();
  await Promise.all(
    volumes.map(async volume => {
      const claimName = volumeClaimName(volume);
      if (!claimName) return;
      const [dataVolume, claim] = await Promise.all([
        volume.dataVolume
          ? client.getDataVolume(namespace, claimName)
          : Promise.resolve(undefined),
        client.getPersistentVolumeClaim(namespace, claimName),
      ]);
      if (dataVolume) dataVolumes.set(claimName, dataVolume);
      if (claim) claims.set(claimName, claim);
    }),
  );
  return { dataVolumes, claims };
}
