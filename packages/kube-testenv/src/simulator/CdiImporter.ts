import type {
  V1PersistentVolumeClaim,
  V1PersistentVolumeClaimSpec,
} from '@kubernetes/client-node';
import {
  CDI_DEFAULT_FILESYSTEM_OVERHEAD,
  cdiRequiredSpace,
  DataVolumeObject,
  KubevirtCondition,
  Quantity,
} from '@vmportal/plugin-kubevirt-common';
import { describeError, errorStatus } from '../kubeClient';
import { findCondition } from './conditions';
import {
  canonicalJson,
  DATA_VOLUMES,
  now,
  orNotFound,
  readCustomObject,
} from './resources';
import type { SimulatorContext } from './SimulatorContext';
import { controllerRef } from './types';
import type { ReconcileResult } from './WorkQueue';

/** CDI's default filesystem overhead (CDIConfig `filesystemOverhead.global`, CDI v1.65). */
const FILESYSTEM_OVERHEAD = Number(CDI_DEFAULT_FILESYSTEM_OVERHEAD);
const MiB = 1024 * 1024;
const CDI = { component: 'datavolume-import-controller' };

type Kind = 'Import' | 'Clone' | 'Upload';

/** Whether CDI imports, clones or waits for an upload for this DataVolume. */
function transferKind(dv: DataVolumeObject): Kind {
  const source = dv.spec.source;
  if (source?.upload) return 'Upload';
  if (source?.pvc || source?.snapshot || dv.spec.sourceRef) return 'Clone';
  return 'Import';
}

/** CDI's Running condition: the importer pod's state. */
function runningCondition(
  phase: string,
): Omit<KubevirtCondition, 'lastTransitionTime' | 'lastHeartbeatTime'> {
  if (phase === 'Succeeded')
    return {
      type: 'Running',
      status: 'False',
      reason: 'Completed',
      message: 'Import Complete',
    };
  if (phase.endsWith('InProgress'))
    return {
      type: 'Running',
      status: 'True',
      reason: 'Pod is running',
      message: '',
    };
  return { type: 'Running', status: 'False', reason: '', message: '' };
}

/**
 * Plays CDI (and a storage provisioner) for DataVolumes: creates the PVC as
 * CDI renders it (from `spec.pvc`, or from `spec.storage` with default access
 * and volume modes and CDI's filesystem-overhead inflation), binds it, and
 * walks the DataVolume through Pending → ImportScheduled → ImportInProgress
 * (progress rising) → Succeeded with CDI's conditions and events. Clones use
 * the Clone* phases; uploads wait in UploadReady (no upload proxy here).
 */
export class CdiImporter {
  /** When each DataVolume's transfer started (by UID). */
  private readonly started = new Map<string, number>();

  constructor(private readonly ctx: SimulatorContext) {}

  async reconcile(
    namespace: string,
    name: string,
  ): Promise<ReconcileResult | void> {
    const dv = await readCustomObject<DataVolumeObject>(
      this.ctx.custom,
      DATA_VOLUMES,
      namespace,
      name,
    );
    if (!dv || dv.metadata.deletionTimestamp) return undefined;
    const phase = dv.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return undefined;
    const kind = transferKind(dv);

    let pvc = await orNotFound(
      this.ctx.core.readNamespacedPersistentVolumeClaim({ namespace, name }),
    );
    if (!pvc) {
      const created = await this.createPvc(dv);
      if ('error' in created) {
        await this.writeStatus(dv, 'Pending', 'N/A', created.error);
        return { retryWithBackoff: true };
      }
      pvc = created.pvc;
    }
    if (
      !pvc.metadata?.ownerReferences?.some(ref => ref.uid === dv.metadata.uid)
    ) {
      // A claim that is not ours (adopted or pre-existing): take it as the result, like CDI's static/adopted volumes.
      if (pvc.status?.phase === 'Bound')
        await this.writeStatus(dv, 'Succeeded', '100.0%', undefined, pvc);
      return undefined;
    }
    if (pvc.status?.phase !== 'Bound') {
      if (!phase) await this.writeStatus(dv, 'Pending', 'N/A', undefined, pvc);
      pvc = await this.bind(pvc);
    }

    const uid = dv.metadata.uid!;
    if (kind === 'Upload') {
      if (phase !== 'UploadReady')
        await this.writeStatus(dv, 'UploadReady', 'N/A', undefined, pvc);
      return undefined;
    }
    if (!phase || phase === 'Pending') {
      this.started.set(uid, Date.now());
      await this.writeStatus(dv, `${kind}Scheduled`, 'N/A', undefined, pvc);
      await this.event(
        dv,
        'Normal',
        `${kind}Scheduled`,
        `${kind} into ${name} scheduled`,
      );
      return { requeueAfterMs: this.step() };
    }
    const since = this.started.get(uid) ?? Date.now();
    this.started.set(uid, since);
    const progress = Math.min(
      1,
      (Date.now() - since) / Math.max(this.ctx.timing.importMs, 1),
    );
    if (progress < 1) {
      const text = `${(progress * 100).toFixed(2)}%`;
      if (phase !== `${kind}InProgress`) {
        await this.event(
          dv,
          'Normal',
          `${kind}InProgress`,
          `${kind} into ${name} in progress`,
        );
      }
      await this.writeStatus(dv, `${kind}InProgress`, text, undefined, pvc);
      return { requeueAfterMs: this.step() };
    }
    await this.annotatePvc(pvc, 'Succeeded');
    await this.writeStatus(dv, 'Succeeded', '100.0%', undefined, pvc);
    this.started.delete(uid);
    this.ctx.log(`cdi: DataVolume ${namespace}/${name} succeeded`);
    await this.event(
      dv,
      'Normal',
      kind === 'Clone' ? 'CloneSucceeded' : 'ImportSucceeded',
      kind === 'Clone'
        ? `Successfully cloned from source into ${name}`
        : `Successfully imported into PVC ${name}`,
    );
    return undefined;
  }

  private step(): number {
    return Math.max(50, Math.round(this.ctx.timing.importMs / 4));
  }

  /** The PVC CDI's `renderPvcSpec` would create for the DataVolume. */
  private async createPvc(
    dv: DataVolumeObject,
  ): Promise<{ pvc: V1PersistentVolumeClaim } | { error: KubevirtCondition }> {
    const namespace = dv.metadata.namespace!;
    const name = dv.metadata.name!;
    let spec: V1PersistentVolumeClaimSpec;
    try {
      spec = await this.renderPvcSpec(dv);
    } catch (error) {
      await this.event(dv, 'Warning', 'ErrClaimNotValid', describeError(error));
      return {
        error: {
          type: 'Bound',
          status: 'False',
          reason: 'ErrClaimNotValid',
          message: describeError(error),
        },
      };
    }
    const source = dv.spec.source ?? {};
    const annotations: Record<string, string> = {
      'cdi.kubevirt.io/storage.contentType': dv.spec.contentType ?? 'kubevirt',
      'cdi.kubevirt.io/storage.pod.phase': 'Pending',
      'cdi.kubevirt.io/storage.pod.restarts': '0',
      'cdi.kubevirt.io/storage.preallocation.requested': 'false',
      'cdi.kubevirt.io/createdForDataVolume': dv.metadata.uid!,
    };
    if (source.http) {
      annotations['cdi.kubevirt.io/storage.import.endpoint'] = source.http.url;
      annotations['cdi.kubevirt.io/storage.import.source'] = 'http';
    } else if (source.registry) {
      annotations['cdi.kubevirt.io/storage.import.endpoint'] =
        source.registry.url ?? source.registry.imageStream ?? '';
      annotations['cdi.kubevirt.io/storage.import.source'] = 'registry';
    } else if (source.blank) {
      annotations['cdi.kubevirt.io/storage.import.source'] = 'none';
    } else if (source.pvc) {
      annotations['k8s.io/CloneRequest'] = `${
        source.pvc.namespace ?? namespace
      }/${source.pvc.name}`;
    }
    const pvc: V1PersistentVolumeClaim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name,
        namespace,
        labels: {
          app: 'containerized-data-importer',
          'app.kubernetes.io/component': 'storage',
          'app.kubernetes.io/managed-by': 'cdi-controller',
        },
        annotations,
        ownerReferences: [
          controllerRef(dv, 'cdi.kubevirt.io/v1beta1', 'DataVolume'),
        ],
      },
      spec,
    };
    try {
      const created = await this.ctx.core.createNamespacedPersistentVolumeClaim(
        { namespace, body: pvc },
      );
      this.ctx.log(
        `cdi: created PVC ${namespace}/${name} (${spec.resources?.requests?.storage})`,
      );
      return { pvc: created };
    } catch (error) {
      const message = describeError(error);
      const quota =
        errorStatus(error) === 403 && /exceeded quota/.test(message);
      const reason = quota ? 'ErrExceededQuota' : 'ErrClaimNotValid';
      await this.event(dv, 'Warning', reason, message);
      return { error: { type: 'Bound', status: 'False', reason, message } };
    }
  }

  private async renderPvcSpec(
    dv: DataVolumeObject,
  ): Promise<V1PersistentVolumeClaimSpec> {
    if (dv.spec.pvc) return structuredClone(dv.spec.pvc);
    const storage = dv.spec.storage;
    if (!storage)
      throw new Error('datavolume one of {pvc, storage} field is required');
    const spec: V1PersistentVolumeClaimSpec = structuredClone(storage);
    if (!spec.storageClassName) {
      const defaultClass = await this.defaultStorageClass();
      if (defaultClass) spec.storageClassName = defaultClass;
    }
    // What a StorageProfile without claim property sets would leave: the commonest defaults.
    if (!spec.accessModes?.length) spec.accessModes = ['ReadWriteOnce'];
    if (!spec.volumeMode) spec.volumeMode = 'Filesystem';
    let requested = spec.resources?.requests?.storage;
    if (!requested && (dv.spec.source?.pvc || dv.spec.sourceRef)) {
      requested = await this.sourceSize(dv);
    }
    if (!requested)
      throw new Error('PVC Spec is not valid - missing storage size');
    // Whole bytes (rounded up, as Kubernetes' Value()); a double holds them exactly up to 8 PiB.
    const bytes = Number(Quantity.parse(requested).value());
    if (bytes < MiB)
      throw new Error(
        'PVC Spec is not valid - storage size should be at least 1MiB',
      );
    const size =
      spec.volumeMode === 'Filesystem'
        ? cdiRequiredSpace(FILESYSTEM_OVERHEAD, bytes)
        : bytes;
    spec.resources = {
      ...spec.resources,
      requests: { ...spec.resources?.requests, storage: String(size) },
    };
    return spec;
  }

  /** The cluster's default StorageClass, as CDI falls back to it. */
  private async defaultStorageClass(): Promise<string | undefined> {
    const list = (await this.ctx.custom.listClusterCustomObject({
      group: 'storage.k8s.io',
      version: 'v1',
      plural: 'storageclasses',
    })) as {
      items?: Array<{
        metadata?: { name?: string; annotations?: Record<string, string> };
      }>;
    };
    return list.items?.find(
      sc =>
        sc.metadata?.annotations?.[
          'storageclass.kubernetes.io/is-default-class'
        ] === 'true',
    )?.metadata?.name;
  }

  private async sourceSize(dv: DataVolumeObject): Promise<string | undefined> {
    const source = dv.spec.source?.pvc;
    if (!source) return undefined;
    const pvc = await orNotFound(
      this.ctx.core.readNamespacedPersistentVolumeClaim({
        namespace: source.namespace ?? dv.metadata.namespace!,
        name: source.name,
      }),
    );
    return pvc?.spec?.resources?.requests?.storage;
  }

  /** Binds the claim as a provisioner would: Bound, with the requested capacity. */
  private async bind(
    pvc: V1PersistentVolumeClaim,
  ): Promise<V1PersistentVolumeClaim> {
    const bound =
      await this.ctx.core.replaceNamespacedPersistentVolumeClaimStatus({
        namespace: pvc.metadata!.namespace!,
        name: pvc.metadata!.name!,
        body: {
          ...pvc,
          status: {
            phase: 'Bound',
            accessModes: pvc.spec?.accessModes,
            capacity: {
              storage: pvc.spec?.resources?.requests?.storage ?? '0',
            },
          },
        },
      });
    this.ctx.log(
      `cdi: PVC ${pvc.metadata!.namespace}/${pvc.metadata!.name} bound`,
    );
    return bound;
  }

  private async annotatePvc(pvc: V1PersistentVolumeClaim, podPhase: string) {
    const annotations = {
      ...pvc.metadata?.annotations,
      'cdi.kubevirt.io/storage.pod.phase': podPhase,
      'cdi.kubevirt.io/storage.condition.running': 'false',
      'cdi.kubevirt.io/storage.condition.running.message': 'Import Complete',
      'cdi.kubevirt.io/storage.condition.running.reason': 'Completed',
      'cdi.kubevirt.io/storage.condition.bound': 'true',
      'cdi.kubevirt.io/storage.condition.bound.message': '',
      'cdi.kubevirt.io/storage.condition.bound.reason': '',
    };
    try {
      await this.ctx.core.replaceNamespacedPersistentVolumeClaim({
        namespace: pvc.metadata!.namespace!,
        name: pvc.metadata!.name!,
        body: { ...pvc, metadata: { ...pvc.metadata, annotations } },
      });
    } catch (error) {
      if (errorStatus(error) !== 409) throw error;
      throw new Error(
        `PVC ${pvc.metadata!.name} changed while annotating it; retrying`,
      );
    }
  }

  /** CDI's `updateConditions`: Bound from the claim, Ready from the phase, Running from the transfer. */
  private async writeStatus(
    dv: DataVolumeObject,
    phase: string,
    progress: string,
    boundError?: KubevirtCondition,
    pvc?: V1PersistentVolumeClaim,
  ) {
    const timestamp = now();
    const previous = dv.status?.conditions ?? [];
    const set = (
      condition: Omit<
        KubevirtCondition,
        'lastTransitionTime' | 'lastHeartbeatTime'
      >,
    ): KubevirtCondition => {
      const old = findCondition(previous, condition.type);
      const changed = old?.status !== condition.status;
      return {
        ...condition,
        message: condition.message ?? '',
        reason: condition.reason ?? '',
        lastTransitionTime: changed
          ? timestamp
          : old?.lastTransitionTime ?? timestamp,
        lastHeartbeatTime:
          changed ||
          old?.message !== condition.message ||
          old?.reason !== condition.reason
            ? timestamp
            : old?.lastHeartbeatTime ?? timestamp,
      };
    };
    const bound = pvc?.status?.phase === 'Bound';
    const running = phase.endsWith('InProgress');
    const conditions: KubevirtCondition[] = [
      boundError
        ? set(boundError)
        : set({
            type: 'Bound',
            status: bound ? 'True' : 'False',
            reason: bound ? 'Bound' : 'Pending',
            message: pvc
              ? `PVC ${pvc.metadata!.name} ${bound ? 'Bound' : 'Pending'}`
              : '',
          }),
      set({
        type: 'Ready',
        status: phase === 'Succeeded' ? 'True' : 'False',
        reason: running ? 'TransferRunning' : '',
      }),
      set(runningCondition(phase)),
    ];
    const status = {
      phase,
      progress,
      claimName: dv.metadata.name,
      restartCount: 0,
      conditions,
    };
    const comparable = (s: unknown) =>
      canonicalJson(s).replace(/"last\w+Time":"[^"]*"/g, '');
    if (comparable(status) === comparable(dv.status ?? {})) return;
    const written = (await this.ctx.custom.replaceNamespacedCustomObjectStatus({
      ...DATA_VOLUMES,
      namespace: dv.metadata.namespace!,
      name: dv.metadata.name!,
      body: { ...dv, status },
    })) as DataVolumeObject;
    if (phase !== dv.status?.phase) {
      this.ctx.log(
        `cdi: DataVolume ${dv.metadata.namespace}/${dv.metadata.name} ${
          dv.status?.phase ?? '(new)'
        } -> ${phase}`,
      );
    }
    dv.metadata.resourceVersion = written.metadata.resourceVersion;
    dv.status = written.status;
  }

  private event(
    dv: DataVolumeObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ) {
    return this.ctx.events.record(
      {
        apiVersion: 'cdi.kubevirt.io/v1beta1',
        kind: 'DataVolume',
        metadata: dv.metadata,
      },
      type,
      reason,
      message,
      CDI,
    );
  }
}
