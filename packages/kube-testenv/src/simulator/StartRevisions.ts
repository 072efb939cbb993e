import type { VirtualMachineInstanceObject } from '@vmportal/plugin-kubevirt-common';
import { errorStatus } from '../kubeClient';
import {
  canonicalJson,
  conflictOnPatchTestFailure,
  CustomResource,
  orNotFound,
  VIRTUAL_MACHINE_INSTANCES,
} from './resources';
import type { SimulatorContext } from './SimulatorContext';
import { controllerRef, VirtualMachine } from './types';

/** `apps/v1` controllerrevisions, where KubeVirt keeps the spec a VM was started with. */
const CONTROLLER_REVISIONS: CustomResource = {
  group: 'apps',
  version: 'v1',
  plural: 'controllerrevisions',
};

interface ControllerRevision {
  metadata: { name: string; ownerReferences?: Array<{ uid: string }> };
  revision: number;
  data: { spec: VirtualMachine['spec'] };
}

/** The VMI annotation naming the VM generation it reflects. */
const GENERATION_ANNOTATION = 'kubevirt.io/vm-generation';

/** Start specs never change once written: a few hundred are kept in memory. */
const CACHE_LIMIT = 500;

/**
 * The VM controller's start revisions (`createVMRevision`, `getLastVMRevisionSpec`):
 * when it starts a VM, KubeVirt stores the VM's spec in a ControllerRevision named
 * `revision-start-vm-<VM uid>-<generation>`, owned by the VM (older ones of the VM
 * are deleted), and names it in the VMI's `status.virtualMachineRevisionName`. What
 * changed since is measured against that spec: `RestartRequired`, the live updates,
 * and the VMI's `kubevirt.io/vm-generation` annotation.
 */
export class StartRevisions {
  private readonly specs = new Map<string, VirtualMachine['spec']>();

  constructor(private readonly ctx: SimulatorContext) {}

  /** `createVMRevision`: stores the VM's spec (unless this generation's is there); returns its name. */
  async create(vm: VirtualMachine): Promise<string> {
    const namespace = vm.metadata.namespace!;
    const prefix = `revision-start-vm-${vm.metadata.uid}-`;
    const name = `${prefix}${vm.metadata.generation ?? 1}`;
    const list = (await this.ctx.custom.listNamespacedCustomObject({
      ...CONTROLLER_REVISIONS,
      namespace,
    })) as { items: ControllerRevision[] };
    let exists = false;
    for (const revision of list.items) {
      if (!revision.metadata.name.startsWith(prefix)) continue;
      if (revision.metadata.name === name) {
        exists = true;
        continue;
      }
      await orNotFound(
        this.ctx.custom.deleteNamespacedCustomObject({
          ...CONTROLLER_REVISIONS,
          namespace,
          name: revision.metadata.name,
        }),
      );
      this.specs.delete(revision.metadata.name);
    }
    if (exists) return name;
    const body = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name,
        namespace,
        ownerReferences: [
          controllerRef(vm, 'kubevirt.io/v1', 'VirtualMachine'),
        ],
      },
      data: { spec: vm.spec },
      revision: vm.metadata.generation ?? 1,
    };
    try {
      await this.ctx.custom.createNamespacedCustomObject({
        ...CONTROLLER_REVISIONS,
        namespace,
        body,
      });
    } catch (error) {
      if (errorStatus(error) !== 409) throw error;
    }
    return name;
  }

  /**
   * `conditionallyBumpGenerationAnnotationOnVmi`: when the VM's generation moved on
   * but its template is still the one the VMI was started from (only the run
   * strategy or the like changed), the VMI's `kubevirt.io/vm-generation` follows,
   * so the VM's `status.observedGeneration` does too. Returns the VMI as it is now.
   */
  async syncGenerationAnnotation(
    vm: VirtualMachine,
    vmi: VirtualMachineInstanceObject,
  ): Promise<VirtualMachineInstanceObject> {
    const generation = String(vm.metadata.generation ?? 1);
    const annotations = vmi.metadata.annotations ?? {};
    if (annotations[GENERATION_ANNOTATION] === generation) return vmi;
    const spec = await this.startSpec(vmi);
    if (
      !spec ||
      canonicalJson(spec.template) !== canonicalJson(vm.spec.template)
    )
      return vmi;
    const path = `/metadata/annotations/${GENERATION_ANNOTATION.replace(
      '/',
      '~1',
    )}`;
    const patched = await this.ctx.custom
      .patchNamespacedCustomObject({
        ...VIRTUAL_MACHINE_INSTANCES,
        namespace: vmi.metadata.namespace!,
        name: vmi.metadata.name!,
        body: vmi.metadata.annotations
          ? [{ op: 'add', path, value: generation }]
          : [
              {
                op: 'add',
                path: '/metadata/annotations',
                value: { [GENERATION_ANNOTATION]: generation },
              },
            ],
      })
      .catch(conflictOnPatchTestFailure);
    return patched as VirtualMachineInstanceObject;
  }

  /** The VM spec `vmi` was started from, if the VM controller recorded one. */
  async startSpec(
    vmi: VirtualMachineInstanceObject,
  ): Promise<VirtualMachine['spec'] | undefined> {
    const name = vmi.status?.virtualMachineRevisionName;
    if (typeof name !== 'string' || !name) return undefined;
    const cached = this.specs.get(name);
    if (cached) return cached;
    const revision = (await orNotFound(
      this.ctx.custom.getNamespacedCustomObject({
        ...CONTROLLER_REVISIONS,
        namespace: vmi.metadata.namespace!,
        name,
      }),
    )) as ControllerRevision | undefined;
    const spec = revision?.data?.spec;
    if (!spec) return undefined;
    if (this.specs.size >= CACHE_LIMIT) this.specs.clear();
    this.specs.set(name, spec);
    return spec;
  }
}
