import type { V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import {
  KubeObject,
  KubevirtCondition,
  Quantity,
  VirtualMachineInstanceObject,
} from '@vmportal/plugin-kubevirt-common';
import { describeError } from '../kubeClient';
import { findCondition, hasCondition, removeCondition } from './conditions';
import type { FakeKubelet } from './FakeKubelet';
import { isMigrating } from './LiveUpdate';
import { isFinal } from './printableStatus';
import {
  conflictOnPatchTestFailure,
  CREATED_BY_LABEL,
  now,
  orNotFound,
  readCustomObject,
  VIRTUAL_MACHINE_INSTANCE_MIGRATIONS,
  VIRTUAL_MACHINE_INSTANCES,
} from './resources';
import type { SimulatorContext } from './SimulatorContext';
import { controllerOf } from './types';
import {
  renderLauncherPod,
  syncUnpausedGate,
} from './VirtualMachineInstanceReconciler';
import { isDeclarativeHotplugVolume } from './VolumeHotplug';
import type { ReconcileResult } from './WorkQueue';

/** Label on a migration target pod naming its migration's UID. */
export const MIGRATION_JOB_LABEL = 'kubevirt.io/migrationJobUID';
const MIGRATION_JOB_NAME_ANNOTATION = 'kubevirt.io/migrationJobName';
const WORKLOAD_UPDATE_ANNOTATION = 'kubevirt.io/workloadUpdateMigration';
const TARGET_NODE_LABEL = 'kubevirt.io/migrationTargetNodeName';
const POD_MEMORY_REQUESTS_LABEL =
  'kubevirt.io/vmi-pod-memory-resource-requests';
const REJECTED_BY_QUOTA = 'migrationRejectedByResourceQuota';
const CONTROLLER = { component: 'virt-controller' };
/** How often a target pod refused by a quota is tried again without a quota change. */
const RETRY_REFUSED_MS = 5000;

/** A VirtualMachineInstanceMigration (`kubevirt.io/v1`). */
export interface Migration extends KubeObject {
  spec: { vmiName: string; [field: string]: unknown };
  status?: {
    phase?: string;
    phaseTransitionTimestamps?: Array<{
      phase: string;
      phaseTransitionTimestamp: string;
    }>;
    conditions?: KubevirtCondition[];
    [field: string]: unknown;
  };
}

/** The VMI's migration state (`status.migrationState`), as far as the simulator fills it. */
interface MigrationState {
  migrationUid?: string;
  sourceNode?: string;
  sourcePod?: string;
  targetNode?: string;
  targetPod?: string;
  startTimestamp?: string;
  endTimestamp?: string;
  completed?: boolean;
  failed?: boolean;
  mode?: string;
  [field: string]: unknown;
}

/** A migration that has not ended. */
export function isUnfinished(migration: Migration): boolean {
  const phase = migration.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

/**
 * How KubeVirt moves a running VMI to a new virt-launcher pod (a migration asked
 * for through virt-api's `migrate`, or one for a CPU or memory hot-plug): the
 * workload updater asks for a migration of a VMI whose
 * `HotVCPUChange` or `HotMemoryChange` condition is set (when the KubeVirt CR's
 * `workloadUpdateStrategy` allows `LiveMigrate`, and the VMI is live-migratable);
 * the migration controller renders the target pod from the VMI's updated spec
 * (so with the new CPUs and memory) and creates it, through the apiserver's quota
 * admission (a refusal is a `FailedCreate` event on the VMI and the migration's
 * `migrationRejectedByResourceQuota` condition, retried until the quota allows it,
 * the VM running on meanwhile); once the target pod runs, the simulated
 * virt-handlers migrate the guest: the VMI moves to the target's node with the
 * new topology and memory in its status, and the source pod's containers exit
 * (phase Succeeded, as KubeVirt leaves it).
 */
export class MigrationController {
  /** `migrationExpectations`: migrations created and not yet seen in the cache, per VMI UID. */
  private readonly requested = new Map<string, number>();

  constructor(
    private readonly ctx: SimulatorContext,
    private readonly kubelet: FakeKubelet,
  ) {}

  /**
   * The workload updater's part: creates a migration for a running VMI whose hot-plug
   * needs a new launcher pod, unless one is under way.
   */
  async requestHotplugMigration(
    vmi: VirtualMachineInstanceObject,
  ): Promise<void> {
    const conditions = vmi.status?.conditions;
    const hotplug =
      Boolean(findCondition(conditions, 'HotVCPUChange')) ||
      hasCondition(conditions, 'HotMemoryChange', 'True') ||
      hasCondition(conditions, 'MigrationRequired', 'True');
    if (
      !hotplug ||
      vmi.status?.phase !== 'Running' ||
      vmi.metadata.deletionTimestamp ||
      isMigrating(vmi) ||
      !hasCondition(conditions, 'LiveMigratable', 'True')
    )
      return;
    const uid = vmi.metadata.uid!;
    const namespace = vmi.metadata.namespace!;
    const unfinished = this.ctx.caches
      .migrations(namespace)
      .some(m => m.spec.vmiName === vmi.metadata.name && isUnfinished(m));
    const requestedAt = this.requested.get(uid);
    if (unfinished) {
      this.requested.delete(uid);
      return;
    }
    if (requestedAt !== undefined && Date.now() - requestedAt < 30_000) return;
    if (!(await this.liveMigrateAllowed())) return;

    try {
      const created = (await this.ctx.custom.createNamespacedCustomObject({
        ...VIRTUAL_MACHINE_INSTANCE_MIGRATIONS,
        namespace,
        body: {
          apiVersion: 'kubevirt.io/v1',
          kind: 'VirtualMachineInstanceMigration',
          metadata: {
            generateName: 'kubevirt-workload-update-',
            annotations: { [WORKLOAD_UPDATE_ANNOTATION]: '' },
          },
          spec: { vmiName: vmi.metadata.name, priority: 'user-triggered' },
        },
      })) as Migration;
      this.requested.set(uid, Date.now());
      this.ctx.log(
        `${namespace}/${vmi.metadata.name}: created migration ${created.metadata.name} for automated workload update`,
      );
      await this.event(
        vmi,
        'VirtualMachineInstance',
        'Normal',
        'SuccessfulCreate',
        `Created Migration ${created.metadata.name} for automated workload update`,
      );
    } catch (error) {
      await this.event(
        vmi,
        'VirtualMachineInstance',
        'Warning',
        'FailedCreate',
        `Error creating a Migration for automated workload update: ${describeError(
          error,
        )}`,
      );
      throw error;
    }
  }

  /** The migration controller and the two virt-handlers, for one migration. */
  async reconcile(
    namespace: string,
    name: string,
  ): Promise<ReconcileResult | void> {
    const migration = await readCustomObject<Migration>(
      this.ctx.custom,
      VIRTUAL_MACHINE_INSTANCE_MIGRATIONS,
      namespace,
      name,
    );
    if (!migration || !isUnfinished(migration)) return undefined;
    const vmi = await readCustomObject<VirtualMachineInstanceObject>(
      this.ctx.custom,
      VIRTUAL_MACHINE_INSTANCES,
      namespace,
      migration.spec.vmiName,
    );
    const pods = vmi ? await this.ownedPods(vmi) : [];
    const target = pods.find(
      pod =>
        pod.metadata?.labels?.[MIGRATION_JOB_LABEL] === migration.metadata.uid,
    );
    if (
      !vmi ||
      isFinal(vmi) ||
      vmi.metadata.deletionTimestamp ||
      vmi.status?.phase !== 'Running'
    ) {
      if (target) await this.deletePod(target);
      await this.setPhase(migration, 'Failed');
      return undefined;
    }
    const source = pods.find(
      pod =>
        pod !== target &&
        pod.spec?.nodeName === vmi.status?.nodeName &&
        !pod.metadata?.deletionTimestamp,
    );

    switch (migration.status?.phase ?? '') {
      case '': {
        // virt-api's migration admission refuses a VMI that cannot be live-migrated.
        const migratable = findCondition(
          vmi.status?.conditions,
          'LiveMigratable',
        );
        if (migratable?.status !== 'True') {
          await this.setPhase(migration, 'Failed');
          await this.event(
            migration,
            'VirtualMachineInstanceMigration',
            'Warning',
            'FailedMigration',
            `Cannot migrate VMI, Reason: ${
              migratable?.reason ?? ''
            }, Message: ${migratable?.message ?? ''}`,
          );
          return undefined;
        }
        const other = this.ctx.caches
          .migrations(namespace)
          .find(
            m =>
              m.metadata.uid !== migration.metadata.uid &&
              m.spec.vmiName === vmi.metadata.name &&
              isUnfinished(m) &&
              (m.status?.phase ?? '') !== '' &&
              m.status?.phase !== 'Pending',
          );
        if (other) {
          await this.setPhase(migration, 'Failed');
          await this.event(
            migration,
            'VirtualMachineInstanceMigration',
            'Warning',
            'FailedMigration',
            'VMI is not eligible for migration because another migration job is in progress.',
          );
          return undefined;
        }
        await this.setPhase(migration, 'Pending');
        return undefined;
      }
      case 'Pending':
        if (target) {
          await this.setPhase(migration, 'Scheduling', conditions =>
            removeCondition(conditions, REJECTED_BY_QUOTA),
          );
          return undefined;
        }
        return this.createTargetPod(migration, vmi, source);
      case 'Scheduling': {
        if (!target) {
          await this.setPhase(migration, 'Failed');
          return undefined;
        }
        const ready = target.status?.conditions?.some(
          c => c.type === 'Ready' && c.status === 'True',
        );
        if (!ready) {
          // The target's readiness gate, as virt-controller keeps it on a launcher pod.
          if (target.spec?.nodeName)
            await syncUnpausedGate(this.ctx.core, vmi, target);
          return undefined;
        }
        await this.setPhase(migration, 'Scheduled');
        return undefined;
      }
      case 'Scheduled':
      case 'PreparingTarget':
      case 'TargetReady':
        if (!target || !source) {
          await this.setPhase(migration, 'Failed');
          return undefined;
        }
        await this.handOff(migration, vmi, source, target);
        return { requeueAfterMs: this.ctx.timing.migrationMs };
      case 'Running': {
        if (!target) {
          await this.setPhase(migration, 'Failed');
          return undefined;
        }
        const state = vmi.status?.migrationState as MigrationState | undefined;
        const started = Date.parse(state?.startTimestamp ?? '') || Date.now();
        const wait = started + this.ctx.timing.migrationMs - Date.now();
        if (wait > 0) return { requeueAfterMs: wait };
        await this.complete(migration, vmi, source, target);
        return undefined;
      }
      default:
        return undefined;
    }
  }

  /** Whether the KubeVirt CR lets the workload updater migrate (no KubeVirt CR: as if it did). */
  private async liveMigrateAllowed(): Promise<boolean> {
    const methods = await this.ctx.workloadUpdateMethods();
    return methods === undefined || methods.includes('LiveMigrate');
  }

  /** `createTargetPod`: the VMI's launcher pod as it is now, kept off the source node. */
  private async createTargetPod(
    migration: Migration,
    vmi: VirtualMachineInstanceObject,
    source: V1Pod | undefined,
  ): Promise<ReconcileResult | void> {
    let body: V1Pod;
    try {
      body = await renderLauncherPod(this.ctx, vmi, await this.claims(vmi));
    } catch (error) {
      const message = `failed to render launch manifest: ${describeError(
        error,
      )}`;
      await this.event(
        vmi,
        'VirtualMachineInstance',
        'Warning',
        'FailedCreate',
        message,
      );
      return { retryWithBackoff: true };
    }
    const metadata = body.metadata!;
    metadata.labels = {
      ...metadata.labels,
      [MIGRATION_JOB_LABEL]: migration.metadata.uid!,
    };
    metadata.annotations = {
      ...metadata.annotations,
      [MIGRATION_JOB_NAME_ANNOTATION]: migration.metadata.name!,
    };
    const added = migration.spec.addedNodeSelector as
      | Record<string, string>
      | undefined;
    if (added)
      body.spec!.nodeSelector = { ...added, ...body.spec!.nodeSelector };
    const affinity = (body.spec!.affinity ??= {});
    const antiAffinity = (affinity.podAntiAffinity ??= {});
    antiAffinity.requiredDuringSchedulingIgnoredDuringExecution = [
      ...(antiAffinity.requiredDuringSchedulingIgnoredDuringExecution ?? []),
      {
        labelSelector: {
          matchLabels: { [CREATED_BY_LABEL]: vmi.metadata.uid! },
        },
        topologyKey: 'kubernetes.io/hostname',
      },
    ];
    try {
      const pod = await this.ctx.core.createNamespacedPod({
        namespace: vmi.metadata.namespace!,
        body,
      });
      this.ctx.log(
        `${vmi.metadata.namespace}/${
          vmi.metadata.name
        }: created migration target pod ${pod.metadata!.name} (source ${
          source?.metadata?.name ?? 'unknown'
        })`,
      );
      await this.event(
        migration,
        'VirtualMachineInstanceMigration',
        'Normal',
        'SuccessfulCreate',
        `Created migration target pod ${pod.metadata!.name}`,
      );
      return undefined;
    } catch (error) {
      const message = describeError(error);
      await this.event(
        vmi,
        'VirtualMachineInstance',
        'Warning',
        'FailedCreate',
        `Error creating pod: ${message}`,
      );
      if (
        message.includes('exceeded quota') &&
        !findCondition(migration.status?.conditions, REJECTED_BY_QUOTA)
      ) {
        await this.writeStatus(migration, {
          ...migration.status,
          conditions: [
            ...(migration.status?.conditions ?? []),
            {
              type: REJECTED_BY_QUOTA,
              status: 'True',
              lastProbeTime: now(),
              lastTransitionTime: null,
            },
          ],
        });
        this.ctx.log(
          `${vmi.metadata.namespace}/${vmi.metadata.name}: failed to create vmi migration target pod: ${message}`,
        );
      }
      return { requeueAfterMs: RETRY_REFUSED_MS };
    }
  }

  /**
   * The hand-off to virt-handler (`handleTargetPodHandoff`) and the migration's
   * start on the source: the VMI's `migrationState` names both pods and nodes.
   */
  private async handOff(
    migration: Migration,
    vmi: VirtualMachineInstanceObject,
    source: V1Pod,
    target: V1Pod,
  ): Promise<void> {
    const state = vmi.status?.migrationState as MigrationState | undefined;
    if (state?.migrationUid !== migration.metadata.uid) {
      const labels: Record<string, string> = {
        [TARGET_NODE_LABEL]: target.spec!.nodeName!,
      };
      if (hasCondition(vmi.status?.conditions, 'HotMemoryChange', 'True')) {
        const compute = target.spec?.containers.find(c => c.name === 'compute');
        const request = compute?.resources?.requests?.memory;
        if (request) labels[POD_MEMORY_REQUESTS_LABEL] = String(request);
      }
      const migrationState: MigrationState = {
        migrationUid: migration.metadata.uid,
        sourceNode: vmi.status?.nodeName,
        sourcePod: source.metadata!.name,
        targetNode: target.spec!.nodeName,
        targetPod: target.metadata!.name,
        startTimestamp: now(),
        mode: 'PreCopy',
      };
      await this.patchVmi(vmi, [
        ...(vmi.metadata.labels
          ? []
          : [{ op: 'add', path: '/metadata/labels', value: {} }]),
        ...Object.entries(labels).map(([key, value]) => ({
          op: 'add',
          path: `/metadata/labels/${key
            .replace(/~/g, '~0')
            .replace(/\//g, '~1')}`,
          value,
        })),
        { op: 'add', path: '/status/migrationState', value: migrationState },
      ]);
      await this.event(
        migration,
        'VirtualMachineInstanceMigration',
        'Normal',
        'SuccessfulHandOver',
        'Migration target pod is ready for preparation by virt-handler.',
      );
      await this.event(
        vmi,
        'VirtualMachineInstance',
        'Normal',
        'Migrating',
        'VirtualMachineInstance is migrating.',
      );
      this.ctx.log(
        `${vmi.metadata.namespace}/${vmi.metadata.name}: migrating from ${
          vmi.status?.nodeName
        } to ${target.spec!.nodeName}`,
      );
    }
    await this.setPhase(migration, 'Running');
  }

  /**
   * The target virt-handler's `ackMigrationCompletion`, with `hotplugCPU` and
   * `hotplugMemory`: the VMI now runs on the target node with the CPUs and memory
   * of its spec; the source pod's containers exit.
   */
  private async complete(
    migration: Migration,
    vmi: VirtualMachineInstanceObject,
    source: V1Pod | undefined,
    target: V1Pod,
  ): Promise<void> {
    const status = structuredClone(vmi.status ?? {});
    const labels = { ...vmi.metadata.labels };
    const nodeName = target.spec!.nodeName!;
    let conditions = status.conditions ?? [];
    const hotplugged: string[] = [];
    if (findCondition(conditions, 'HotVCPUChange')) {
      const cpu = vmi.spec.domain.cpu ?? {};
      status.currentCPUTopology = {
        cores: cpu.cores ?? 1,
        sockets: cpu.sockets ?? 1,
        threads: cpu.threads ?? 1,
      };
      conditions = removeCondition(conditions, 'HotVCPUChange');
      hotplugged.push(`${cpu.sockets ?? 1} sockets`);
    }
    if (findCondition(conditions, 'HotMemoryChange')) {
      const guest = vmi.spec.domain.memory?.guest;
      if (guest) {
        const memory = { ...(status.memory as object | undefined) } as Record<
          string,
          unknown
        >;
        memory.guestRequested = guest;
        memory.guestCurrent = guest;
        status.memory = memory;
        hotplugged.push(`${Quantity.parse(String(guest)).toString()} memory`);
      }
      conditions = removeCondition(conditions, 'HotMemoryChange');
    }
    delete labels[POD_MEMORY_REQUESTS_LABEL];
    labels['kubevirt.io/nodeName'] = nodeName;
    status.conditions = conditions;
    status.nodeName = nodeName;
    status.migrationTransport = 'Unix';
    status.migrationState = {
      ...(status.migrationState as MigrationState | undefined),
      endTimestamp: now(),
      completed: true,
    };
    const image = target.spec?.containers.find(
      c => c.name === 'compute',
    )?.image;
    if (image) status.launcherContainerImageVersion = image;
    // A conflict (someone wrote the VMI meanwhile) is retried by the work queue.
    await this.ctx.custom.replaceNamespacedCustomObject({
      ...VIRTUAL_MACHINE_INSTANCES,
      namespace: vmi.metadata.namespace!,
      name: vmi.metadata.name!,
      body: { ...vmi, metadata: { ...vmi.metadata, labels }, status },
    });
    this.ctx.log(
      `${vmi.metadata.namespace}/${
        vmi.metadata.name
      }: migrated to ${nodeName} (pod ${target.metadata!.name})${
        hotplugged.length ? `, hot-plugged ${hotplugged.join(' and ')}` : ''
      }`,
    );
    await this.event(
      vmi,
      'VirtualMachineInstance',
      'Normal',
      'Migrated',
      `The VirtualMachineInstance migrated to node ${nodeName}.`,
    );
    // The source's QEMU has handed over: virt-launcher exits, its pod is Completed.
    if (source) await this.kubelet.exit(source);
    await this.setPhase(migration, 'Succeeded');
    await this.event(
      migration,
      'VirtualMachineInstanceMigration',
      'Normal',
      'SuccessfulMigration',
      'Source node reported migration succeeded',
    );
  }

  /** The claims of the VMI's volumes the launcher pod mounts (hot-plug ones have their own pod). */
  private async claims(
    vmi: VirtualMachineInstanceObject,
  ): Promise<V1PersistentVolumeClaim[]> {
    const pvcs: V1PersistentVolumeClaim[] = [];
    for (const volume of vmi.spec.volumes ?? []) {
      if (isDeclarativeHotplugVolume(volume)) continue;
      const name =
        volume.persistentVolumeClaim?.claimName ?? volume.dataVolume?.name;
      if (!name) continue;
      const pvc = await orNotFound(
        this.ctx.core.readNamespacedPersistentVolumeClaim({
          namespace: vmi.metadata.namespace!,
          name,
        }),
      );
      if (pvc) pvcs.push(pvc);
    }
    return pvcs;
  }

  private async ownedPods(vmi: VirtualMachineInstanceObject): Promise<V1Pod[]> {
    const list = await this.ctx.core.listNamespacedPod({
      namespace: vmi.metadata.namespace!,
      labelSelector: `${CREATED_BY_LABEL}=${vmi.metadata.uid}`,
    });
    return list.items.filter(
      pod => controllerOf(pod)?.uid === vmi.metadata.uid,
    );
  }

  private async deletePod(pod: V1Pod) {
    if (pod.metadata?.deletionTimestamp) return;
    await orNotFound(
      this.ctx.core.deleteNamespacedPod({
        namespace: pod.metadata!.namespace!,
        name: pod.metadata!.name!,
      }),
    );
  }

  private async setPhase(
    migration: Migration,
    phase: string,
    conditions: (current: KubevirtCondition[]) => KubevirtCondition[] = c => c,
  ): Promise<void> {
    const status = { ...migration.status };
    if (status.phase !== phase) {
      status.phase = phase;
      status.phaseTransitionTimestamps = [
        ...(status.phaseTransitionTimestamps ?? []),
        { phase, phaseTransitionTimestamp: now() },
      ];
    }
    const next = conditions(status.conditions ?? []);
    if (next.length) status.conditions = next;
    else delete status.conditions;
    await this.writeStatus(migration, status);
    migration.status = status;
    if (phase === 'Failed' || phase === 'Succeeded')
      this.ctx.log(
        `${migration.metadata.namespace}/${migration.spec.vmiName}: migration ${migration.metadata.name} ${phase}`,
      );
  }

  private async writeStatus(
    migration: Migration,
    status: NonNullable<Migration['status']>,
  ): Promise<void> {
    await this.ctx.custom.replaceNamespacedCustomObjectStatus({
      ...VIRTUAL_MACHINE_INSTANCE_MIGRATIONS,
      namespace: migration.metadata.namespace!,
      name: migration.metadata.name!,
      body: { ...migration, status },
    });
  }

  private async patchVmi(vmi: VirtualMachineInstanceObject, patch: object[]) {
    await this.ctx.custom
      .patchNamespacedCustomObject({
        ...VIRTUAL_MACHINE_INSTANCES,
        namespace: vmi.metadata.namespace!,
        name: vmi.metadata.name!,
        body: patch,
      })
      .catch(conflictOnPatchTestFailure);
  }

  private event(
    object: KubeObject,
    kind: 'VirtualMachineInstance' | 'VirtualMachineInstanceMigration',
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ) {
    return this.ctx.events.record(
      { apiVersion: 'kubevirt.io/v1', kind, metadata: object.metadata },
      type,
      reason,
      message,
      CONTROLLER,
    );
  }
}
