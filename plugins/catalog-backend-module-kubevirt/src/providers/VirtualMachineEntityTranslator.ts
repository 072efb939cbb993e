import { createHash } from 'node:crypto';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  ComponentEntity,
  EntityLink,
} from '@backstage/catalog-model';
import {
  CONFIG_VOLUME_SOURCES,
  KUBEVIRT_ANNOTATIONS,
  instancetypeSeries,
  KUBEVIRT_ENTITY_LABELS,
  Quantity,
  VIRTUAL_MACHINE_COMPONENT_TYPE,
  VirtualMachine,
  VirtualMachineInstancetype,
  VirtualMachineVolume,
  virtualMachineEntityLocation,
  virtualMachineRunStrategy,
} from '@vmportal/plugin-kubevirt-common';
import type { KubeNamespace } from '@vmportal/plugin-kubevirt-node';
import { virtualMachineEntityName } from '../lib/entityName';
import { toEntityRef, toLabelValue, toLifecycle, toTag } from '../lib/refs';
import { VirtualMachineEntityProviderConfig } from './VirtualMachineEntityProviderConfig';

/** Annotations of the Kubernetes plugin, so its stock tab finds the launcher pod. */
const KUBERNETES_LABEL_SELECTOR = 'backstage.io/kubernetes-label-selector';
const KUBERNETES_NAMESPACE = 'backstage.io/kubernetes-namespace';
const KUBERNETES_CLUSTER = 'backstage.io/kubernetes-cluster';

/** Where a VM's description may be, first match wins. */
const DESCRIPTION_ANNOTATIONS = ['vmportal.io/description', 'description'];
/** The OS annotation KubeVirt's common templates put on VMs. */
const OS_ANNOTATION = 'vm.kubevirt.io/os';
const INSTANCETYPE_SIZE_LABEL = 'instancetype.kubevirt.io/size';

/** What the translator knows about the VM's surroundings. */
export interface TranslationContext {
  cluster: string;
  /** The VM's namespace, when namespaces can be read. */
  namespace?: KubeNamespace;
  /** VirtualMachineClusterInstancetypes by name. */
  clusterInstancetypes: ReadonlyMap<string, VirtualMachineInstancetype>;
}

const MAX_REPORTED = 10_000;

interface Subject {
  cluster: string;
  namespace: string;
  name: string;
}

/**
 * Turns VirtualMachines into `virtual-machine` Components. Values that cannot be used
 * (an owner that is not a valid group ref, say) fall back along the configured chain
 * and are reported once per VM and value, at warn, with the fix.
 */
export class VirtualMachineEntityTranslator {
  private readonly reported = new Set<string>();

  constructor(
    private readonly config: VirtualMachineEntityProviderConfig,
    private readonly logger: LoggerService,
  ) {}

  toEntity(vm: VirtualMachine, context: TranslationContext): ComponentEntity {
    const { cluster } = context;
    const namespace = vm.metadata.namespace ?? 'default';
    const name = vm.metadata.name;
    const vmLabels = vm.metadata.labels ?? {};
    const vmAnnotations = vm.metadata.annotations ?? {};
    const nsLabels = context.namespace?.metadata.labels ?? {};
    const nsAnnotations = context.namespace?.metadata.annotations ?? {};
    const location = virtualMachineEntityLocation({ cluster, namespace, name });
    const subject: Subject = { cluster, namespace, name };

    const { owner, system, lifecycle } = this.config;
    const ownerRef = this.resolve(subject, 'group', owner.default, [
      ['label', owner.label, vmLabels],
      ['annotation', owner.annotation, vmAnnotations],
      ['namespace label', owner.namespaceLabel, nsLabels],
      ['namespace annotation', owner.namespaceAnnotation, nsAnnotations],
      ['config owner.namespaces', namespace, owner.namespaces],
    ]);
    const systemRef = this.resolve(subject, 'system', system.default, [
      ['label', system.label, vmLabels],
      ['annotation', system.annotation, vmAnnotations],
      ['namespace label', system.namespaceLabel, nsLabels],
    ]);
    const lifecycleValue = this.resolve(
      subject,
      'lifecycle',
      lifecycle.default,
      [
        ['label', lifecycle.label, vmLabels],
        ['namespace label', lifecycle.namespaceLabel, nsLabels],
      ],
    );

    const size = this.size(vm, context);
    const os = operatingSystem(vm);
    const labels: Record<string, string> = {};
    const setLabel = (key: string, value: string | number | undefined) => {
      const labelValue = toLabelValue(value);
      if (labelValue) labels[key] = labelValue;
    };
    setLabel(KUBEVIRT_ENTITY_LABELS.cluster, cluster);
    setLabel(KUBEVIRT_ENTITY_LABELS.namespace, namespace);
    setLabel(KUBEVIRT_ENTITY_LABELS.runStrategy, virtualMachineRunStrategy(vm));
    setLabel(KUBEVIRT_ENTITY_LABELS.instancetype, vm.spec.instancetype?.name);
    setLabel(
      KUBEVIRT_ENTITY_LABELS.series,
      vm.spec.instancetype?.name &&
        instancetypeSeries(vm.spec.instancetype.name),
    );
    setLabel(KUBEVIRT_ENTITY_LABELS.size, size.size);
    setLabel(KUBEVIRT_ENTITY_LABELS.vcpu, size.vcpu);
    setLabel(KUBEVIRT_ENTITY_LABELS.memory, memoryLabel(size.memory));
    setLabel(KUBEVIRT_ENTITY_LABELS.os, os);
    setLabel(KUBEVIRT_ENTITY_LABELS.disks, dataDiskCount(vm));

    const description = DESCRIPTION_ANNOTATIONS.map(
      key => vmAnnotations[key],
    ).find(Boolean);
    const osTag = toTag(os);
    const links: EntityLink[] = this.config.links.map(link => ({
      title: link.title,
      url: link.url
        .replace(/\{cluster\}/g, encodeURIComponent(cluster))
        .replace(/\{namespace\}/g, encodeURIComponent(namespace))
        .replace(/\{name\}/g, encodeURIComponent(name)),
      ...(link.icon && { icon: link.icon }),
    }));

    return {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: virtualMachineEntityName({ cluster, namespace, name }),
        title: name,
        ...(description && { description }),
        annotations: {
          [ANNOTATION_LOCATION]: location,
          [ANNOTATION_ORIGIN_LOCATION]: location,
          [KUBERNETES_LABEL_SELECTOR]: `${
            this.config.launcherPodLabel
          }=${this.launcherPodLabelValue(vm)}`,
          [KUBERNETES_NAMESPACE]: namespace,
          [KUBERNETES_CLUSTER]: cluster,
          [KUBEVIRT_ANNOTATIONS.cluster]: cluster,
          [KUBEVIRT_ANNOTATIONS.namespace]: namespace,
          [KUBEVIRT_ANNOTATIONS.name]: name,
          ...(vm.metadata.uid && {
            [KUBEVIRT_ANNOTATIONS.uid]: vm.metadata.uid,
          }),
        },
        labels,
        tags: osTag ? [osTag] : [],
        ...(links.length > 0 && { links }),
      },
      spec: {
        type: VIRTUAL_MACHINE_COMPONENT_TYPE,
        lifecycle: lifecycleValue ?? lifecycle.default,
        owner: ownerRef ?? owner.default,
        ...(systemRef && { system: systemRef }),
      },
    };
  }

  /**
   * The first usable value along `chain`, else `fallback`. Each unusable value met on
   * the way is reported once.
   */
  private resolve(
    subject: Subject,
    kind: 'group' | 'system' | 'lifecycle',
    fallback: string | undefined,
    chain: Array<[string, string, Record<string, string>]>,
  ): string | undefined {
    const rejected: Array<{ source: string; value: string }> = [];
    let result = fallback;
    let from = 'the configured default';
    for (const [source, key, values] of chain) {
      const value = key ? values[key] : undefined;
      if (value === undefined || value === '') continue;
      const normalised =
        kind === 'lifecycle' ? toLifecycle(value) : toEntityRef(value, kind);
      if (normalised) {
        result = normalised;
        from = `${source} ${key}`;
        break;
      }
      rejected.push({
        source: source.startsWith('config') ? source : `${source} ${key}`,
        value,
      });
    }
    const vm = `${subject.cluster}/${subject.namespace}/${subject.name}`;
    for (const { source, value } of rejected) {
      this.reportOnce(`${vm}|${source}|${value}`, () =>
        this.logger.warn(
          `VirtualMachine ${vm}: ${source} '${value}' is not a valid ${
            kind === 'group' ? 'group reference' : kind
          }; ${fixFor(kind)}. Using ${
            result ?? 'none'
          } (from ${from}) meanwhile`,
          {
            cluster: subject.cluster,
            namespace: subject.namespace,
            virtualMachine: subject.name,
            source,
            value,
          },
        ),
      );
    }
    return result;
  }

  private reportOnce(key: string, report: () => void) {
    if (this.reported.has(key)) return;
    if (this.reported.size >= MAX_REPORTED) this.reported.clear();
    this.reported.add(key);
    report();
  }

  private size(
    vm: VirtualMachine,
    context: TranslationContext,
  ): { vcpu?: number; memory?: string; size?: string } {
    const instancetype = vm.spec.instancetype;
    if (instancetype) {
      const kind = (
        instancetype.kind ?? 'VirtualMachineClusterInstancetype'
      ).toLocaleLowerCase('en-US');
      // Namespaced instancetypes are not read: vCPU and memory stay unlabelled.
      const found =
        kind === 'virtualmachineclusterinstancetype'
          ? context.clusterInstancetypes.get(instancetype.name)
          : undefined;
      return {
        vcpu: found?.spec.cpu?.guest,
        memory: found?.spec.memory?.guest,
        size: found?.metadata.labels?.[INSTANCETYPE_SIZE_LABEL],
      };
    }
    const domain = vm.spec.template?.spec?.domain;
    const cpu = domain?.cpu;
    let vcpu: number | undefined;
    if (cpu && (cpu.cores || cpu.sockets || cpu.threads)) {
      vcpu = (cpu.cores ?? 1) * (cpu.sockets ?? 1) * (cpu.threads ?? 1);
    } else {
      const fromResources =
        domain?.resources?.limits?.cpu ?? domain?.resources?.requests?.cpu;
      const cores = fromResources && Quantity.tryParse(fromResources.trim());
      vcpu = cores ? Math.max(1, Number(cores.value())) : 1;
    }
    return {
      vcpu,
      memory: domain?.memory?.guest ?? domain?.resources?.requests?.memory,
    };
  }

  /** The value KubeVirt gives the chosen label on the VM's virt-launcher pod. */
  private launcherPodLabelValue(vm: VirtualMachine): string {
    const name = vm.metadata.name;
    if (this.config.launcherPodLabel === 'vm.kubevirt.io/name') {
      // KubeVirt's dns.SanitizeHostname: the hostname, else the name up to its first dot.
      return (
        vm.spec.template?.spec?.hostname ?? name.split('.')[0].slice(0, 63)
      );
    }
    // KubeVirt's CalculateVirtualMachineInstanceID (the VMI has the VM's name).
    if (name.length <= 63) return name;
    const hash = createHash('sha1').update(name).digest('hex').slice(0, 8);
    return `${name.slice(0, 63 - 8 - 1)}-${hash}`;
  }
}

function fixFor(kind: 'group' | 'system' | 'lifecycle'): string {
  switch (kind) {
    case 'group':
      return 'set it to a group name such as team-web (labels cannot hold more) or, in an annotation, a reference such as group:default/team-web';
    case 'system':
      return 'set it to a system name such as payments or, in an annotation, a reference such as system:default/payments';
    default:
      return 'set it to a word such as production, experimental or deprecated';
  }
}

/**
 * Memory in the largest binary unit that divides it (`4096Mi` becomes `4Gi`), so
 * equal sizes get equal labels.
 */
function memoryLabel(memory: string | undefined): string | undefined {
  const quantity = memory ? Quantity.tryParse(memory.trim()) : undefined;
  if (!quantity || quantity.cmp(Quantity.ZERO) <= 0) return undefined;
  return quantity.withFormat('BinarySI').toString();
}

/** The VM's OS: its preference, else the common templates' annotation, else the boot image. */
function operatingSystem(vm: VirtualMachine): string | undefined {
  if (vm.spec.preference?.name) return vm.spec.preference.name;
  const annotated = vm.metadata.annotations?.[OS_ANNOTATION];
  if (annotated) return annotated;
  const spec = vm.spec.template?.spec;
  const disks = [...(spec?.domain?.devices?.disks ?? [])].sort(
    (a, b) =>
      (a.bootOrder ?? Number.MAX_SAFE_INTEGER) -
      (b.bootOrder ?? Number.MAX_SAFE_INTEGER),
  );
  for (const disk of disks) {
    const volume = spec?.volumes?.find(v => v.name === disk.name);
    const image = volume && bootImage(vm, volume);
    if (image) return image;
  }
  return undefined;
}

function bootImage(
  vm: VirtualMachine,
  volume: VirtualMachineVolume,
): string | undefined {
  if (volume.containerDisk?.image) {
    return imageName(volume.containerDisk.image);
  }
  const dataVolume = volume.dataVolume?.name;
  if (!dataVolume) return undefined;
  const template = vm.spec.dataVolumeTemplates?.find(
    t => t.metadata?.name === dataVolume,
  );
  if (template?.spec?.sourceRef?.name) return template.spec.sourceRef.name;
  const url = template?.spec?.source?.registry?.url;
  return url ? imageName(url) : undefined;
}

/** `docker://quay.io/containerdisks/fedora:41` becomes `fedora`. */
function imageName(image: string): string | undefined {
  const withoutScheme = image.replace(/^[a-z]+:\/\//, '');
  const withoutDigest = withoutScheme.split('@')[0];
  const lastSegment = withoutDigest.split('/').pop() ?? '';
  return lastSegment.split(':')[0] || undefined;
}

function dataDiskCount(vm: VirtualMachine): number {
  const spec = vm.spec.template?.spec;
  return (spec?.domain?.devices?.disks ?? []).filter(disk => {
    const volume = spec?.volumes?.find(v => v.name === disk.name);
    return !volume || !CONFIG_VOLUME_SOURCES.some(source => source in volume);
  }).length;
}
