import type {
  DataVolumeObject,
  DataVolumeTemplate,
  KubevirtCondition,
  VirtualMachineInstanceObject,
  VirtualMachineStateChangeRequest,
  VirtualMachineStatus,
} from '@vmportal/plugin-kubevirt-common';
import { describeError, errorStatus } from '../kubeClient';
import {
  findCondition,
  hasCondition,
  removeCondition,
  updateCondition,
} from './conditions';
import type { DataSource } from './DataSourceController';
import {
  applyInstancetypeAndDefaults,
  findInstancetypeOrPreference,
  InstancetypeNotFound,
  setupVmiFromVm,
} from './expandVirtualMachine';
import { legacyFirmwareUuid } from './firmwareUuid';
import { LiveUpdate } from './LiveUpdate';
import { isFinal, printableStatus, runStrategyOf } from './printableStatus';
import {
  canonicalJson,
  conflictOnPatchTestFailure,
  CREATED_BY_LABEL,
  DATA_SOURCES,
  DATA_VOLUMES,
  now,
  orNotFound,
  readCustomObject,
  VIRTUAL_MACHINE_INSTANCES,
  VIRTUAL_MACHINES,
  VM_CONTROLLER_FINALIZER,
  VMI_FINALIZER,
} from './resources';
import type { SimulatorContext } from './SimulatorContext';
import { StartRevisions } from './StartRevisions';
import { controllerOf, controllerRef, VirtualMachine } from './types';
import type { ReconcileResult } from './WorkQueue';

/** A failure KubeVirt reports on the VM as its `Failure` condition (`common.SyncError`). */
class SyncError extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
  }
}

const VM_GENERATION_ANNOTATION = 'kubevirt.io/vm-generation';
const CONTROLLER = { component: 'virt-controller' };

/** Conditions the VM keeps itself instead of copying them from the VMI. */
const NOT_SYNCED_FROM_VMI = new Set(['Ready', 'Failure', 'RestartRequired']);

interface SyncOutcome {
  vm: VirtualMachine;
  vmi: VirtualMachineInstanceObject | undefined;
  error?: SyncError;
  startExpected: boolean;
  stopExpected: boolean;
  requeueAfterMs?: number;
  /** The VM's `RestartRequired` condition to write (null: none; undefined: as it is). */
  restartRequired?: KubevirtCondition | null;
}

/**
 * Plays virt-controller's VirtualMachine controller: keeps a VMI in line with
 * the VM's run strategy and state change requests, creates the VM's
 * DataVolumes, builds the VMI from the template (instancetype and preference
 * applied, virt-api's defaults added, via the oracle), and writes the VM's
 * status (`printableStatus`, `ready`, `created`, conditions, generations).
 */
export class VirtualMachineReconciler {
  private readonly revisions: StartRevisions;
  private readonly liveUpdate: LiveUpdate;

  constructor(private readonly ctx: SimulatorContext) {
    this.revisions = new StartRevisions(ctx);
    this.liveUpdate = new LiveUpdate(ctx, this.revisions);
  }

  async reconcile(
    namespace: string,
    name: string,
  ): Promise<ReconcileResult | void> {
    const vm = await this.getVm(namespace, name);
    if (!vm) return undefined;
    let vmi = await readCustomObject<VirtualMachineInstanceObject>(
      this.ctx.custom,
      VIRTUAL_MACHINE_INSTANCES,
      namespace,
      name,
    );
    const owner = vmi && controllerOf(vmi);
    if (vmi && owner && owner.uid !== vm.metadata.uid) vmi = undefined;

    const outcome = await this.sync(vm, vmi);
    try {
      await this.updateStatus(outcome);
    } catch (error) {
      // Someone (virt-api's stateChangeRequests patch, a user) wrote the VM meanwhile: start over.
      if (errorStatus(error) === 409) return { requeueAfterMs: 0 };
      // Its finalizer removed, a deleted VM is gone before its last status.
      if (errorStatus(error) === 404) return undefined;
      throw error;
    }
    if (outcome.error) {
      const previous = findCondition(vm.status?.conditions, 'Failure');
      if (previous?.message !== outcome.error.message) {
        this.ctx.log(
          `${namespace}/${name}: ${outcome.error.reason}: ${outcome.error.message}`,
        );
      }
      return { retryWithBackoff: true };
    }
    return outcome.requeueAfterMs !== undefined
      ? { requeueAfterMs: outcome.requeueAfterMs }
      : undefined;
  }

  private async getVm(
    namespace: string,
    name: string,
  ): Promise<VirtualMachine | undefined> {
    return readCustomObject<VirtualMachine>(
      this.ctx.custom,
      VIRTUAL_MACHINES,
      namespace,
      name,
    );
  }

  private async sync(
    original: VirtualMachine,
    found: VirtualMachineInstanceObject | undefined,
  ): Promise<SyncOutcome> {
    let vm = original;
    let vmi = found;
    const outcome: SyncOutcome = {
      vm,
      vmi,
      startExpected: false,
      stopExpected: false,
    };
    const name = vm.metadata.name!;

    if (vm.metadata.deletionTimestamp) {
      if (!vmi || vm.metadata.finalizers?.includes('orphan')) {
        outcome.vm = await this.removeFinalizer(vm);
      } else {
        await this.stopVmi(outcome);
      }
      return outcome;
    }
    if (!vm.metadata.finalizers?.includes(VM_CONTROLLER_FINALIZER)) {
      outcome.vm = vm = await this.patchVm(vm, [
        vm.metadata.finalizers
          ? {
              op: 'add',
              path: '/metadata/finalizers/-',
              value: VM_CONTROLLER_FINALIZER,
            }
          : {
              op: 'add',
              path: '/metadata/finalizers',
              value: [VM_CONTROLLER_FINALIZER],
            },
      ]);
    }
    // KubeVirt's firmware synchronizer writes a stable UUID into the VM's template once.
    if (!vm.spec.template.spec.domain.firmware?.uuid) {
      const firmware = {
        ...vm.spec.template.spec.domain.firmware,
        uuid: legacyFirmwareUuid(name),
      };
      outcome.vm = vm = await this.patchVm(vm, [
        {
          op: 'add',
          path: '/spec/template/spec/domain/firmware',
          value: firmware,
        },
      ]);
    }

    // `conditionallyBumpGenerationAnnotationOnVmi`: a VMI still matching the VM's template is up to date.
    if (vmi && !vmi.metadata.deletionTimestamp)
      outcome.vmi = vmi = await this.revisions.syncGenerationAnnotation(
        vm,
        vmi,
      );

    let strategy: string;
    try {
      strategy = runStrategyOf(vm);
    } catch (error) {
      outcome.error = new SyncError(
        'FailedCreate',
        `Error fetching RunStrategy: ${describeError(error)}`,
      );
      return outcome;
    }

    // The instancetype controller's `Sync` starts with `checkResourcesExist`: whatever
    // the run strategy, nothing is created while the VM names one that is not there.
    const missing = await this.missingInstancetypeOrPreference(vm);
    if (missing) {
      outcome.error = missing;
      return outcome;
    }

    if (
      vm.metadata.annotations?.[
        'kubevirt.io/immediate-data-volume-creation'
      ] !== 'false'
    ) {
      let ready: boolean;
      try {
        ready = await this.handleDataVolumes(vm);
      } catch (error) {
        outcome.error = new SyncError(
          'FailedCreate',
          `Error encountered while creating DataVolumes: ${describeError(
            error,
          )}`,
        );
        return outcome;
      }
      if (!ready && strategy !== 'Halted') return outcome;
    }

    try {
      await this.syncRunStrategy(outcome, strategy);
    } catch (error) {
      outcome.error =
        error instanceof SyncError
          ? error
          : new SyncError('FailedCreate', describeError(error));
      return outcome;
    }
    // What changed since the VMI started: RestartRequired, or applied live to it.
    if (vmi) {
      const live = await this.liveUpdate.sync(
        outcome.vm,
        vmi,
        !outcome.startExpected && !outcome.stopExpected,
      );
      outcome.restartRequired = live.restartRequired;
      if (live.error)
        outcome.error = new SyncError(live.error.reason, live.error.message);
    }
    return outcome;
  }

  private async syncRunStrategy(
    outcome: SyncOutcome,
    strategy: string,
  ): Promise<void> {
    const { vm, vmi } = outcome;
    const requests = vm.status?.stateChangeRequests ?? [];
    const first = requests[0] as VirtualMachineStateChangeRequest | undefined;
    const stopRequested = Boolean(
      vmi && first?.action === 'Stop' && first.uid === vmi.metadata.uid,
    );
    const startRequested = first?.action === 'Start';

    switch (strategy) {
      case 'Always':
        if (vmi) {
          if (stopRequested || isFinal(vmi)) await this.stopVmi(outcome);
          return;
        }
        await this.startVmi(outcome);
        return;
      case 'RerunOnFailure':
        if (vmi) {
          const failed = vmi.status?.phase === 'Failed';
          if (
            !vmi.metadata.deletionTimestamp &&
            (stopRequested || failed || vmi.status?.phase === 'Succeeded')
          ) {
            await this.stopVmi(outcome);
            if (failed) await this.addStartRequest(outcome);
          }
          return;
        }
        if (startRequested || vm.status?.runStrategy !== strategy)
          await this.startVmi(outcome);
        return;
      case 'Manual':
        if (vmi) {
          if (stopRequested) await this.stopVmi(outcome);
        } else if (startRequested) {
          await this.startVmi(outcome);
        }
        return;
      case 'Halted':
        if (!vmi) {
          if (startRequested) {
            // A paused start of a halted VM: virt-api asked us, we flip the strategy.
            outcome.vm = await this.patchVm(
              vm,
              vm.spec.runStrategy
                ? [
                    {
                      op: 'replace',
                      path: '/spec/runStrategy',
                      value: 'Always',
                    },
                  ]
                : [{ op: 'replace', path: '/spec/running', value: true }],
            );
            outcome.requeueAfterMs = 0;
          }
          return;
        }
        await this.stopVmi(outcome);
        return;
      case 'Once':
        if (!vmi) await this.startVmi(outcome);
        return;
      case 'WaitAsReceiver':
        throw new SyncError(
          'FailedCreate',
          'the simulator does not support runStrategy WaitAsReceiver',
        );
      default:
        throw new SyncError('FailedCreate', `unknown runstrategy: ${strategy}`);
    }
  }

  /** `handleDataVolumes`: creates missing DataVolumes; true when all are ready for the VMI. */
  private async handleDataVolumes(vm: VirtualMachine): Promise<boolean> {
    let ready = true;
    const namespace = vm.metadata.namespace!;
    for (const template of vm.spec.dataVolumeTemplates ?? []) {
      const name = template.metadata?.name;
      if (!name) continue;
      const dv = await readCustomObject<DataVolumeObject>(
        this.ctx.custom,
        DATA_VOLUMES,
        namespace,
        name,
      );
      if (!dv) {
        ready = false;
        const pvc = await orNotFound(
          this.ctx.core.readNamespacedPersistentVolumeClaim({
            namespace,
            name,
          }),
        );
        const manifest = await this.dataVolumeManifest(
          vm,
          name,
          template.metadata ?? {},
          template.spec,
        );
        await this.handleCloneDataVolume(vm, manifest);
        try {
          await this.ctx.custom.createNamespacedCustomObject({
            ...DATA_VOLUMES,
            namespace,
            body: manifest,
          });
        } catch (error) {
          if (pvc && errorStatus(error) === 409) continue;
          await this.event(
            vm,
            'Warning',
            'FailedDataVolumeCreate',
            `Error creating DataVolume ${name}: ${describeError(error)}`,
          );
          throw new Error(
            `failed to create DataVolume: ${describeError(error)}`,
          );
        }
        this.ctx.log(
          `${namespace}/${vm.metadata.name}: created DataVolume ${name}`,
        );
        await this.event(
          vm,
          'Normal',
          'SuccessfulDataVolumeCreate',
          `Created DataVolume ${name}`,
        );
        continue;
      }
      const phase = dv.status?.phase;
      if (
        phase === 'Succeeded' ||
        phase === 'WaitForFirstConsumer' ||
        phase === 'PendingPopulation'
      )
        continue;
      if (phase === 'Failed') {
        await this.event(
          vm,
          'Warning',
          'FailedDataVolumeImport',
          `DataVolume ${name} failed to import disk image`,
        );
      } else if (phase === 'Pending') {
        const bound = findCondition(dv.status?.conditions, 'Bound');
        if (
          bound &&
          bound.status !== 'True' &&
          bound.reason === 'ErrExceededQuota'
        ) {
          await this.event(
            vm,
            'Warning',
            'FailedDataVolumeImport',
            `DataVolume ${name} exceeds quota limits`,
          );
          throw new Error(
            `DataVolume ${name} importer is not running due to an error: ${bound.message}`,
          );
        }
      }
      ready = false;
    }
    return ready;
  }

  /**
   * `handleCloneDataVolume` (without the clone authorization, which the
   * simulator does not check): a `sourceRef` left unresolved is refused, and a
   * missing source PVC is only warned about.
   */
  private async handleCloneDataVolume(
    vm: VirtualMachine,
    dv: DataVolumeObject,
  ): Promise<void> {
    if (dv.spec.sourceRef)
      throw new Error('DataVolume sourceRef not supported');
    const source = dv.spec.source?.pvc;
    if (!source) return;
    const claim =
      this.ctx.caches.pvc(source.namespace, source.name) ??
      (await orNotFound(
        this.ctx.core.readNamespacedPersistentVolumeClaim({
          namespace: source.namespace,
          name: source.name,
        }),
      ));
    if (!claim) {
      await this.event(
        vm,
        'Warning',
        'SourcePVCNotAvailabe',
        `Source PVC ${source.name} not available: Target PVC ${dv.metadata.name} will remain unpopulated until source is created`,
      );
    }
  }

  /** `CreateDataVolumeManifest`: the template, owned by the VM, with a DataSource resolved (`GetResolvedCloneSource`). */
  private async dataVolumeManifest(
    vm: VirtualMachine,
    name: string,
    metadata: NonNullable<DataVolumeTemplate['metadata']>,
    spec: DataVolumeObject['spec'],
  ): Promise<DataVolumeObject> {
    const dvSpec = structuredClone(spec);
    const priorityClassName = vm.spec.template.spec.priorityClassName as
      | string
      | undefined;
    if (!dvSpec.priorityClassName && priorityClassName)
      dvSpec.priorityClassName = priorityClassName;
    if (dvSpec.sourceRef?.kind === 'DataSource') {
      const sourceNamespace =
        dvSpec.sourceRef.namespace ?? vm.metadata.namespace!;
      const dataSource = await readCustomObject<DataSource>(
        this.ctx.custom,
        DATA_SOURCES,
        sourceNamespace,
        dvSpec.sourceRef.name,
      );
      if (!dataSource) {
        throw new Error(
          `unable to create DataVolume manifest: datasources.cdi.kubevirt.io "${dvSpec.sourceRef.name}" not found`,
        );
      }
      const source = dataSource.spec.source?.dataSource
        ? dataSource.status?.source
        : dataSource.spec.source;
      if (source?.pvc || source?.snapshot) {
        delete dvSpec.sourceRef;
        dvSpec.source = source.pvc
          ? {
              pvc: {
                namespace: source.pvc.namespace ?? sourceNamespace,
                name: source.pvc.name,
              },
            }
          : {
              snapshot: {
                namespace: source.snapshot!.namespace ?? sourceNamespace,
                name: source.snapshot!.name,
              },
            };
      }
    } else if (dvSpec.source?.pvc && !dvSpec.source.pvc.namespace) {
      dvSpec.source.pvc.namespace = vm.metadata.namespace!;
    }
    return {
      apiVersion: 'cdi.kubevirt.io/v1beta1',
      kind: 'DataVolume',
      metadata: {
        name,
        namespace: vm.metadata.namespace,
        labels: { ...metadata.labels, [CREATED_BY_LABEL]: vm.metadata.uid! },
        annotations: {
          ...metadata.annotations,
          'cdi.kubevirt.io/allowClaimAdoption': 'true',
        },
        ownerReferences: [
          controllerRef(vm, 'kubevirt.io/v1', 'VirtualMachine'),
        ],
      },
      spec: dvSpec,
    };
  }

  /** `startVMI`: builds the VMI from the VM and creates it. */
  private async startVmi(outcome: SyncOutcome): Promise<void> {
    const vm = outcome.vm;
    const namespace = vm.metadata.namespace!;
    const name = vm.metadata.name!;
    if (hasCondition(vm.status?.conditions, 'ManualRecoveryRequired', 'True'))
      return;
    // `cleanupRestartRequired`: the new VMI is built from the VM as it is now.
    outcome.restartRequired = null;

    const requests = vm.status?.stateChangeRequests ?? [];
    const vmi = setupVmiFromVm(vm);
    vmi.metadata.annotations![VM_GENERATION_ANNOTATION] = String(
      vm.metadata.generation ?? 1,
    );
    vmi.metadata.ownerReferences = [
      controllerRef(vm, 'kubevirt.io/v1', 'VirtualMachine'),
    ];
    vmi.metadata.finalizers = [VM_CONTROLLER_FINALIZER];
    if (requests[0]?.action === 'Start' && requests[0].data?.paused === 'true')
      vmi.spec.startStrategy = 'Paused';

    let defaulted: VirtualMachineInstanceObject;
    try {
      defaulted = await applyInstancetypeAndDefaults(this.ctx, vm, vmi);
    } catch (error) {
      await this.event(
        vm,
        'Warning',
        'FailedCreate',
        `Error creating virtual machine instance: Failed to apply instancetype: ${describeError(
          error,
        )}`,
      );
      throw new SyncError(
        'FailedCreate',
        `Failure while starting VMI: ${describeError(error)}`,
      );
    }
    vmi.spec = defaulted.spec;
    vmi.metadata.annotations = {
      ...defaulted.metadata.annotations,
      ...vmi.metadata.annotations,
    };
    // What virt-api's mutating webhook adds on create.
    vmi.metadata.finalizers = [...vmi.metadata.finalizers!, VMI_FINALIZER];
    const created = now();
    let revisionName: string;
    try {
      revisionName = await this.revisions.create(vm);
    } catch (error) {
      throw new SyncError(
        'FailedCreate',
        `Failure while starting VMI: ${describeError(error)}`,
      );
    }
    vmi.status = {
      ...defaulted.status,
      phase: 'Pending',
      phaseTransitionTimestamps: [
        { phase: 'Pending', phaseTransitionTimestamp: created },
      ],
      virtualMachineRevisionName: revisionName,
    };

    let stored: VirtualMachineInstanceObject;
    try {
      stored = (await this.ctx.custom.createNamespacedCustomObject({
        ...VIRTUAL_MACHINE_INSTANCES,
        namespace,
        body: vmi,
      })) as VirtualMachineInstanceObject;
    } catch (error) {
      await this.event(
        vm,
        'Warning',
        'FailedCreate',
        `Error creating virtual machine instance: ${describeError(error)}`,
      );
      throw new SyncError(
        'FailedCreate',
        `Failure while starting VMI: ${describeError(error)}`,
      );
    }
    outcome.vmi = stored;
    outcome.startExpected = true;
    this.ctx.log(`${namespace}/${name}: started by creating VMI ${name}`);
    await this.event(
      vm,
      'Normal',
      'SuccessfulCreate',
      `Started the virtual machine by creating the new virtual machine instance ${name}`,
    );
  }

  /**
   * `checkResourcesExist` (KubeVirt's instancetype VM controller): the apiserver's
   * NotFound for the instancetype (reason `FailedFindInstancetype`) or the preference
   * (`FailedFindPreference`) the VM names, reported as the VM's `Failure` condition.
   */
  private async missingInstancetypeOrPreference(
    vm: VirtualMachine,
  ): Promise<SyncError | undefined> {
    const refs = [
      ['instancetype', vm.spec.instancetype, 'FailedFindInstancetype'],
      ['preference', vm.spec.preference, 'FailedFindPreference'],
    ] as const;
    for (const [what, ref, reason] of refs) {
      if (!ref) continue;
      try {
        await findInstancetypeOrPreference(
          this.ctx,
          vm.metadata.namespace!,
          ref,
          what,
        );
      } catch (error) {
        if (error instanceof InstancetypeNotFound)
          return new SyncError(reason, error.message);
        throw error;
      }
    }
    return undefined;
  }

  /** `stopVMI`: deletes the VMI (its deletion then stops the guest and the pod). */
  private async stopVmi(outcome: SyncOutcome): Promise<void> {
    const { vm, vmi } = outcome;
    if (!vmi || vmi.metadata.deletionTimestamp) return;
    let deleted: unknown;
    try {
      deleted = await this.ctx.custom.deleteNamespacedCustomObject({
        ...VIRTUAL_MACHINE_INSTANCES,
        namespace: vmi.metadata.namespace!,
        name: vmi.metadata.name!,
        body: { preconditions: { uid: vmi.metadata.uid } },
      });
    } catch (error) {
      if (errorStatus(error) === 404) {
        outcome.vmi = undefined;
        return;
      }
      await this.event(
        vm,
        'Warning',
        'FailedDelete',
        `Error deleting virtual machine instance ${
          vmi.metadata.name
        }: ${describeError(error)}`,
      );
      throw new SyncError(
        'FailedDelete',
        `Failure attempting to delete VMI: ${describeError(error)}`,
      );
    }
    outcome.stopExpected = true;
    // With finalizers the apiserver answers with the VMI, now marked for deletion.
    if (
      (deleted as VirtualMachineInstanceObject | undefined)?.metadata
        ?.deletionTimestamp
    ) {
      outcome.vmi = deleted as VirtualMachineInstanceObject;
    }
    outcome.vm = {
      ...vm,
      status: {
        ...vm.status,
        conditions: removeCondition(
          vm.status?.conditions ?? [],
          'RestartRequired',
        ),
      },
    };
    this.ctx.log(
      `${vm.metadata.namespace}/${vm.metadata.name}: stopping, deleted VMI ${vmi.metadata.uid}`,
    );
    await this.event(
      vm,
      'Normal',
      'SuccessfulDelete',
      `Stopped the virtual machine by deleting the virtual machine instance ${vmi.metadata.uid}`,
    );
  }

  /** RerunOnFailure restarts a failed VMI through a start request, as KubeVirt does. */
  private async addStartRequest(outcome: SyncOutcome): Promise<void> {
    const vm = outcome.vm;
    const requests = [
      ...(vm.status?.stateChangeRequests ?? []),
      { action: 'Start' },
    ];
    outcome.vm = (await this.ctx.custom.patchNamespacedCustomObjectStatus({
      ...VIRTUAL_MACHINES,
      namespace: vm.metadata.namespace!,
      name: vm.metadata.name!,
      body: [
        { op: 'add', path: '/status/stateChangeRequests', value: requests },
      ],
    })) as VirtualMachine;
  }

  private async updateStatus(outcome: SyncOutcome): Promise<void> {
    const { vm, vmi } = outcome;
    const namespace = vm.metadata.namespace!;
    const status: VirtualMachineStatus = structuredClone(vm.status ?? {});
    const created = Boolean(vmi);
    // Like KubeVirt's `omitempty` booleans: false is written as absent.
    if (created) status.created = true;
    else delete status.created;
    if (vmi && hasCondition(vmi.status?.conditions, 'Ready', 'True'))
      status.ready = true;
    else delete status.ready;
    const generation = vmi?.metadata.annotations?.[VM_GENERATION_ANNOTATION];
    if (vmi && generation) {
      status.observedGeneration = Number(generation);
      status.desiredGeneration = vm.metadata.generation;
    }
    try {
      const strategy = runStrategyOf(vm);
      if (status.runStrategy || created) status.runStrategy = strategy;
    } catch {
      // reported as the Failure condition
    }
    if (trimFirstChangeRequest(status.stateChangeRequests ?? [], vmi)) {
      status.stateChangeRequests = status.stateChangeRequests!.slice(1);
      if (status.stateChangeRequests.length === 0)
        delete status.stateChangeRequests;
    }
    status.conditions = syncConditions(
      status.conditions ?? [],
      vmi,
      outcome.error,
    );
    if (outcome.restartRequired === null)
      status.conditions = removeCondition(status.conditions, 'RestartRequired');
    else if (outcome.restartRequired)
      status.conditions = updateCondition(
        status.conditions,
        outcome.restartRequired,
      );
    if (status.conditions.length === 0) delete status.conditions;
    // KubeVirt records the references only once both were found.
    const unresolved = outcome.error?.reason.startsWith('FailedFind') ?? false;
    if (vm.spec.instancetype && !unresolved)
      status.instancetypeRef = {
        name: vm.spec.instancetype.name,
        kind: vm.spec.instancetype.kind ?? 'virtualmachineclusterinstancetype',
      };
    if (vm.spec.preference && !unresolved)
      status.preferenceRef = {
        name: vm.spec.preference.name,
        kind: vm.spec.preference.kind ?? 'virtualmachineclusterpreference',
      };
    status.printableStatus = printableStatus(vm, vmi, {
      dataVolumes: dvName => this.ctx.caches.dataVolume(namespace, dvName),
      pvcs: claimName => this.ctx.caches.pvc(namespace, claimName),
      startExpected: outcome.startExpected,
      stopExpected: outcome.stopExpected,
    });

    if (canonicalJson(status) !== canonicalJson(vm.status ?? {})) {
      await this.ctx.custom.replaceNamespacedCustomObjectStatus({
        ...VIRTUAL_MACHINES,
        namespace,
        name: vm.metadata.name!,
        body: { ...vm, status },
      });
      if (status.printableStatus !== vm.status?.printableStatus) {
        this.ctx.log(
          `${namespace}/${vm.metadata.name}: ${
            vm.status?.printableStatus ?? '(none)'
          } -> ${status.printableStatus}`,
        );
      }
    }

    if (
      vmi &&
      isFinal(vmi) &&
      vmi.metadata.finalizers?.includes(VM_CONTROLLER_FINALIZER)
    ) {
      // The VMI's final state is recorded on the VM: let it go.
      const finalizers = vmi.metadata.finalizers.filter(
        f => f !== VM_CONTROLLER_FINALIZER,
      );
      await orNotFound(
        this.ctx.custom
          .patchNamespacedCustomObject({
            ...VIRTUAL_MACHINE_INSTANCES,
            namespace,
            name: vmi.metadata.name!,
            body: [
              {
                op: 'test',
                path: '/metadata/finalizers',
                value: vmi.metadata.finalizers,
              },
              {
                op: 'replace',
                path: '/metadata/finalizers',
                value: finalizers,
              },
            ],
          })
          .catch(conflictOnPatchTestFailure),
      );
    }
  }

  private async removeFinalizer(vm: VirtualMachine): Promise<VirtualMachine> {
    const finalizers = vm.metadata.finalizers ?? [];
    if (!finalizers.includes(VM_CONTROLLER_FINALIZER)) return vm;
    return this.patchVm(vm, [
      { op: 'test', path: '/metadata/finalizers', value: finalizers },
      {
        op: 'replace',
        path: '/metadata/finalizers',
        value: finalizers.filter(f => f !== VM_CONTROLLER_FINALIZER),
      },
    ]);
  }

  private async patchVm(
    vm: VirtualMachine,
    patch: object[],
  ): Promise<VirtualMachine> {
    return (await this.ctx.custom
      .patchNamespacedCustomObject({
        ...VIRTUAL_MACHINES,
        namespace: vm.metadata.namespace!,
        name: vm.metadata.name!,
        body: patch,
      })
      .catch(conflictOnPatchTestFailure)) as VirtualMachine;
  }

  private event(
    vm: VirtualMachine,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ) {
    return this.ctx.events.record(
      {
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachine',
        metadata: vm.metadata,
      },
      type,
      reason,
      message,
      CONTROLLER,
    );
  }
}

/** `isTrimFirstChangeRequestNeeded`: whether the first state change request has been acted on. */
function trimFirstChangeRequest(
  requests: VirtualMachineStateChangeRequest[],
  vmi: VirtualMachineInstanceObject | undefined,
): boolean {
  const first = requests[0];
  if (!first) return false;
  if (first.action === 'Stop')
    return !vmi || !first.uid || first.uid !== vmi.metadata.uid;
  if (first.action === 'Start')
    return Boolean(vmi && !vmi.metadata.deletionTimestamp && !isFinal(vmi));
  return false;
}

/** `syncConditions`: Ready and Failure of the VM's own, every other condition copied from the VMI. */
function syncConditions(
  current: KubevirtCondition[],
  vmi: VirtualMachineInstanceObject | undefined,
  error: SyncError | undefined,
): KubevirtCondition[] {
  const timestamp = now();
  let conditions = current;
  const vmiReady = findCondition(vmi?.status?.conditions, 'Ready');
  if (!vmi) {
    conditions = updateCondition(conditions, {
      type: 'Ready',
      status: 'False',
      reason: 'VMINotExists',
      message: 'VMI does not exist',
      lastProbeTime: null,
      lastTransitionTime: timestamp,
    });
  } else if (!vmiReady) {
    conditions = updateCondition(conditions, {
      type: 'Ready',
      status: 'False',
      reason: 'VMIConditionMissing',
      message: 'VMI is missing the Ready condition',
      lastProbeTime: null,
      lastTransitionTime: timestamp,
    });
  } else {
    conditions = updateCondition(conditions, { ...vmiReady, type: 'Ready' });
  }
  conditions = error
    ? updateCondition(conditions, {
        type: 'Failure',
        status: 'True',
        reason: error.reason,
        message: error.message,
        lastProbeTime: null,
        lastTransitionTime: timestamp,
      })
    : removeCondition(conditions, 'Failure');
  if (!vmi) return conditions;

  const fromVmi = (vmi.status?.conditions ?? []).filter(
    c => !NOT_SYNCED_FROM_VMI.has(c.type),
  );
  for (const condition of fromVmi)
    conditions = updateCondition(conditions, condition);
  const vmiTypes = new Set(fromVmi.map(c => c.type));
  return conditions.filter(
    c => NOT_SYNCED_FROM_VMI.has(c.type) || vmiTypes.has(c.type),
  );
}
