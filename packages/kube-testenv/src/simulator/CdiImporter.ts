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
import type { DataSource } from './DataSourceController';
import {
  canonicalJson,
  DATA_SOURCES,
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
const IMPORT_CONTROLLER = { component: 'import-controller' };

/**
 * CDI's `MessageErrStorageClassNotFound`: a `storage` spec without access modes whose
 * StorageClass does not exist (nor a default one, when it names none).
 */
const STORAGE_CLASS_NOT_FOUND =
  'PVC spec is missing accessMode and no storageClass to choose profile';

/**
 * The storage class of the simulator's own provisioner, which needs no StorageClass
 * object (as kind's `standard`). A DataVolume naming no class is provisioned by it
 * too; one naming any other class waits, as with CDI, until that StorageClass exists.
 */
const SIMULATED_STORAGE_CLASS = 'standard';

/** The kubelet's CrashLoopBackOff: 10 s, doubling, at most 5 min. */
function restartBackoffMs(restarts: number): number {
  return Math.min(300_000, 10_000 * 2 ** restarts);
}

/** CDI's `ErrStorageClassNotFound`: the DataVolume waits for its StorageClass. */
class StorageClassNotFound extends Error {
  constructor() {
    super(STORAGE_CLASS_NOT_FOUND);
  }
}

/**
 * Why CDI's importer cannot read an http source: its host is under `.invalid`, which
 * no resolver answers (RFC 6761). The importer's termination message
 * (`errorCannotConnectDataSource` of an `HTTP request errored`), without the
 * resolver's address Go adds in a cluster.
 */
function httpImportFailure(dv: DataVolumeObject): string | undefined {
  const url = dv.spec.source?.http?.url;
  if (!url) return undefined;
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return undefined;
  }
  if (host !== 'invalid' && !host.endsWith('.invalid')) return undefined;
  return `Unable to connect to http data source: HTTP request errored: Get "${url}": dial tcp: lookup ${host}: no such host`;
}

type Kind = 'Import' | 'Clone' | 'Upload';

/** Where a clone copies from, once a `sourceRef` is resolved. */
interface CloneSource {
  kind: 'pvc' | 'snapshot';
  namespace: string;
  name: string;
  /** The source claim (a `pvc` source that exists). */
  claim?: V1PersistentVolumeClaim;
  /** `cc.IsPopulated`: the claim's DataVolume, if it has one, has Succeeded. */
  populated: boolean;
}

/** CDI's size-detection annotations on a clone's source claim (CDI spells `Kubervirt` so). */
const ANN_VIRTUAL_SIZE = 'cdi.Kubervirt.io/virtualSize';
const ANN_SOURCE_CAPACITY = 'cdi.Kubervirt.io/sourceCapacity';
/** The default instancetype labels CDI carries from a source to a DataVolume. */
const DEFAULT_INSTANCETYPE_LABELS = [
  'instancetype.kubevirt.io/default-instancetype',
  'instancetype.kubevirt.io/default-instancetype-kind',
  'instancetype.kubevirt.io/default-preference',
  'instancetype.kubevirt.io/default-preference-kind',
];

/**
 * CDI's `util.GetUsableSpace`: the space an image may fill on a Filesystem claim
 * of `bytes`, which is the virtual size CDI's importer resizes an image to (and
 * what its size-detection pod then reports for the claim).
 */
function usableSpace(overhead: number, bytes: number): number {
  const withoutOverhead = Math.ceil(bytes / (1 + overhead));
  return Math.floor(withoutOverhead / MiB) * MiB;
}

/** A quantity in whole bytes (rounded up, as Kubernetes' `Value()`). */
function byteCount(quantity: string | undefined): number | undefined {
  return quantity === undefined
    ? undefined
    : Number(Quantity.parse(quantity).value());
}

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
  kind: Kind,
): Omit<KubevirtCondition, 'lastTransitionTime' | 'lastHeartbeatTime'> {
  if (phase === 'Succeeded')
    return {
      type: 'Running',
      status: 'False',
      reason: 'Completed',
      message: kind === 'Clone' ? 'Clone Complete' : 'Import Complete',
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
 * (progress rising) → Succeeded with CDI's conditions and events. Uploads
 * wait in UploadReady (no upload proxy here).
 *
 * Clones (`source.pvc`, or a `sourceRef` to a DataSource, resolved as CDI's
 * `populateSourceIfSourceRef` does) follow CDI v1.65's host-assisted clone, the
 * strategy CDI uses for a storage class that no CSI driver provisions (the only
 * kind here): CloneScheduled until the source is populated, CloneInProgress,
 * Succeeded, with CDI's events. Without a size, the clone is sized as CDI's
 * `detectCloneSize` does: the source image's virtual size (what CDI's
 * size-detection pod reads with qemu-img; here the space CDI's importer gave
 * the image) plus the filesystem overhead. A missing source leaves the clone
 * waiting with CDI's `CloneWithoutSource` warning.
 *
 * As CDI does, a `storage` DataVolume (without access modes) whose StorageClass does
 * not exist gets no claim: no phase, `Bound=False` reason `ErrClaimNotValid`, until a
 * StorageClass appears (the simulator's own class, `standard`, needs no object). An
 * http import from a host under `.invalid` fails as the importer does against a
 * host that does not resolve: ImportInProgress with `Running=False` reason `Error`,
 * restarted with the kubelet's backoff.
 */
export class CdiImporter {
  /** When each DataVolume's transfer started (by UID). */
  private readonly started = new Map<string, number>();
  /** When each failing importer last exited (by UID), for the kubelet's backoff. */
  private readonly lastExit = new Map<string, number>();

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
    const clone = kind === 'Clone' ? await this.cloneSource(dv) : undefined;

    let pvc = await orNotFound(
      this.ctx.core.readNamespacedPersistentVolumeClaim({ namespace, name }),
    );
    if (!pvc) {
      let virtualSize: number | undefined;
      if (clone?.kind === 'pvc') {
        // `validateCloneAndSourcePVC`, then `detectCloneSize`.
        if (!clone.claim) {
          await this.event(
            dv,
            'Warning',
            'CloneWithoutSource',
            `The source pvc ${clone.name} doesn't exist`,
          );
          if (!phase) await this.writeStatus(dv, 'Pending', 'N/A');
          return { retryWithBackoff: true };
        }
        if (dv.spec.storage && !dv.spec.storage.resources?.requests?.storage) {
          if (!clone.populated) {
            await this.event(
              dv,
              'Normal',
              'ImportPVCNotReady',
              'The source PVC is not fully imported',
            );
            await this.writeStatus(dv, 'CloneScheduled', 'N/A');
            await this.event(
              dv,
              'Normal',
              'CloneScheduled',
              this.message('Clone', 'Scheduled', dv, clone),
            );
            return { requeueAfterMs: this.step() };
          }
          virtualSize = await this.detectVirtualSize(clone.claim);
        }
      }
      const created = await this.createPvc(dv, clone, virtualSize);
      if ('error' in created) {
        if (created.error.message === STORAGE_CLASS_NOT_FOUND) {
          // PhaseUnset, and no retry: CDI's StorageClass watch brings it back.
          await this.writeStatus(dv, '', '', created.error);
          return undefined;
        }
        await this.writeStatus(dv, 'Pending', 'N/A', created.error);
        return { retryWithBackoff: true };
      }
      pvc = created.pvc;
      await this.annotateDataVolume(dv, clone, virtualSize);
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
        this.message(kind, 'Scheduled', dv, clone),
      );
      return { requeueAfterMs: this.step() };
    }
    const failure = kind === 'Import' ? httpImportFailure(dv) : undefined;
    if (failure) return this.failImport(dv, pvc, failure);
    if (clone?.kind === 'pvc' && !clone.populated) {
      // The host-assisted cloner's source pod waits for a populated source (`reconcileSourcePod`).
      this.started.set(uid, Date.now());
      if (phase !== 'CloneScheduled')
        await this.writeStatus(dv, 'CloneScheduled', 'N/A', undefined, pvc);
      return { requeueAfterMs: this.step() };
    }
    const since = this.started.get(uid) ?? Date.now();
    this.started.set(uid, since);
    const elapsed =
      (Date.now() - since) / Math.max(this.ctx.timing.importMs, 1);
    // A transfer is seen running before it ends, however late this pass comes (a busy machine).
    const progress =
      phase === `${kind}InProgress`
        ? Math.min(1, elapsed)
        : Math.min(0.99, elapsed);
    if (progress < 1) {
      const text = `${(progress * 100).toFixed(2)}%`;
      if (phase !== `${kind}InProgress`) {
        await this.event(
          dv,
          'Normal',
          `${kind}InProgress`,
          this.message(kind, 'InProgress', dv, clone),
        );
      }
      await this.writeStatus(dv, `${kind}InProgress`, text, undefined, pvc);
      return { requeueAfterMs: this.step() };
    }
    await this.annotatePvc(pvc, 'Succeeded', kind);
    await this.writeStatus(dv, 'Succeeded', '100.0%', undefined, pvc);
    this.started.delete(uid);
    this.ctx.log(`cdi: DataVolume ${namespace}/${name} succeeded`);
    await this.event(
      dv,
      'Normal',
      kind === 'Clone' ? 'CloneSucceeded' : 'ImportSucceeded',
      this.message(kind, 'Succeeded', dv, clone),
    );
    return undefined;
  }

  /**
   * An importer that exits with an error, restarted by the kubelet with its backoff:
   * the pod stays Running, so CDI keeps the DataVolume ImportInProgress (only a fatal
   * error such as a checksum mismatch fails it) with `Running=False` reason `Error`
   * and the termination message, counting restarts; the import controller reports
   * each exit on the claim (`ErrImportFailed`), the DataVolume controller the new
   * message once (`emitFailureConditionEvent`).
   */
  private async failImport(
    dv: DataVolumeObject,
    pvc: V1PersistentVolumeClaim,
    message: string,
  ): Promise<ReconcileResult> {
    const uid = dv.metadata.uid!;
    const running = findCondition(dv.status?.conditions, 'Running');
    const failing = running?.reason === 'Error';
    const previous = dv.status?.restartCount ?? 0;
    const exited = this.lastExit.get(uid);
    if (failing && exited !== undefined) {
      // Woken early (a resync): the kubelet has not restarted the importer yet.
      const due = exited + restartBackoffMs(previous) - Date.now();
      if (due > 0) return { requeueAfterMs: due };
    }
    this.lastExit.set(uid, Date.now());
    const restartCount = failing ? previous + 1 : 0;
    if (dv.status?.phase !== 'ImportInProgress') {
      await this.event(
        dv,
        'Normal',
        'ImportInProgress',
        this.message('Import', 'InProgress', dv, undefined),
      );
    }
    await this.writeStatus(dv, 'ImportInProgress', 'N/A', undefined, pvc, {
      running: { type: 'Running', status: 'False', reason: 'Error', message },
      restartCount,
    });
    if (!failing || running?.message !== message)
      await this.event(dv, 'Warning', 'Error', message);
    await this.ctx.events.record(
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: pvc.metadata!,
      },
      'Warning',
      'ErrImportFailed',
      message,
      IMPORT_CONTROLLER,
    );
    if (!failing)
      this.ctx.log(
        `cdi: DataVolume ${dv.metadata.namespace}/${dv.metadata.name} import failing: ${message}`,
      );
    return { requeueAfterMs: restartBackoffMs(restartCount) };
  }

  /**
   * What CDI's DataVolume controllers write on the DataVolume itself: no
   * populator (`storage.usePopulator`), the clone strategy, a permissive clone
   * when the source claim is larger than its image, and the default instancetype
   * labels of the clone's source claim (`updateDataVolumeDefaultInstancetypeLabels`).
   */
  private async annotateDataVolume(
    dv: DataVolumeObject,
    clone: CloneSource | undefined,
    virtualSize: number | undefined,
  ): Promise<void> {
    const annotations: Record<string, string> = {
      ...dv.metadata.annotations,
      'cdi.kubevirt.io/storage.usePopulator': 'false',
    };
    const labels: Record<string, string> = { ...dv.metadata.labels };
    if (clone) {
      annotations['cdi.kubevirt.io/cloneType'] = 'copy';
      const capacity = byteCount(clone.claim?.status?.capacity?.storage);
      if (
        virtualSize !== undefined &&
        capacity !== undefined &&
        capacity > virtualSize
      )
        annotations['cdi.kubevirt.io/permissiveClone'] = 'true';
      const sourceLabels = clone.claim?.metadata?.labels ?? {};
      if (!DEFAULT_INSTANCETYPE_LABELS.some(l => l in labels)) {
        for (const label of DEFAULT_INSTANCETYPE_LABELS) {
          if (sourceLabels[label]) labels[label] = sourceLabels[label];
        }
      }
    }
    if (
      canonicalJson({ annotations, labels }) ===
      canonicalJson({
        annotations: dv.metadata.annotations ?? {},
        labels: dv.metadata.labels ?? {},
      })
    )
      return;
    const written = (await this.ctx.custom.replaceNamespacedCustomObject({
      ...DATA_VOLUMES,
      namespace: dv.metadata.namespace!,
      name: dv.metadata.name!,
      body: { ...dv, metadata: { ...dv.metadata, annotations, labels } },
    })) as DataVolumeObject;
    dv.metadata = written.metadata;
  }

  /** CDI's event messages (`MessageCloneScheduled`, `MessageImportSucceeded`, …). */
  private message(
    kind: Kind,
    step: 'Scheduled' | 'InProgress' | 'Succeeded',
    dv: DataVolumeObject,
    clone: CloneSource | undefined,
  ): string {
    const target = dv.metadata.name;
    if (kind === 'Clone') {
      const from = `${clone?.namespace}/${clone?.name}`;
      const into = `${dv.metadata.namespace}/${target}`;
      if (step === 'Succeeded')
        return `Successfully cloned from ${from} into ${into}`;
      return `Cloning from ${from} into ${into} ${
        step === 'Scheduled' ? 'scheduled' : 'in progress'
      }`;
    }
    if (step === 'Succeeded') return `Successfully imported into PVC ${target}`;
    return `Import into ${target} ${
      step === 'Scheduled' ? 'scheduled' : 'in progress'
    }`;
  }

  /**
   * The clone's source: `source.pvc` / `source.snapshot`, or the source of the
   * DataSource `sourceRef` names (CDI's `populateSourceIfSourceRef`, whose errors
   * these are: CDI retries the DataVolume until the DataSource has a source).
   */
  private async cloneSource(dv: DataVolumeObject): Promise<CloneSource> {
    const namespace = dv.metadata.namespace!;
    let source = dv.spec.source;
    const ref = dv.spec.sourceRef;
    if (ref) {
      if (ref.kind !== 'DataSource')
        throw new Error(
          `Unsupported sourceRef kind ${ref.kind}, currently only DataSource is supported`,
        );
      const dataSource = await readCustomObject<DataSource>(
        this.ctx.custom,
        DATA_SOURCES,
        ref.namespace || namespace,
        ref.name,
      );
      if (!dataSource)
        throw new Error(`datasources.cdi.kubevirt.io "${ref.name}" not found`);
      const resolved = dataSource.spec.source?.dataSource
        ? dataSource.status?.source
        : dataSource.spec.source;
      if (!resolved?.pvc && !resolved?.snapshot)
        throw new Error(
          `Empty source field in '${ref.name}'. DataSource may not be ready yet`,
        );
      source = resolved.pvc
        ? {
            pvc: {
              namespace: resolved.pvc.namespace ?? '',
              name: resolved.pvc.name,
            },
          }
        : {
            snapshot: {
              namespace: resolved.snapshot!.namespace ?? '',
              name: resolved.snapshot!.name,
            },
          };
    }
    if (source?.snapshot) {
      // No snapshot controller here: a snapshot source is taken as ready.
      return {
        kind: 'snapshot',
        namespace: source.snapshot.namespace || namespace,
        name: source.snapshot.name,
        populated: true,
      };
    }
    const pvcRef = source!.pvc!;
    const sourceNamespace = pvcRef.namespace || namespace;
    const claim = await orNotFound(
      this.ctx.core.readNamespacedPersistentVolumeClaim({
        namespace: sourceNamespace,
        name: pvcRef.name,
      }),
    );
    let populated = Boolean(claim);
    const owner = claim?.metadata?.ownerReferences?.find(o => o.controller);
    if (claim && owner?.kind === 'DataVolume') {
      const owning = await readCustomObject<DataVolumeObject>(
        this.ctx.custom,
        DATA_VOLUMES,
        sourceNamespace,
        owner.name,
      );
      populated = owning?.status?.phase === 'Succeeded';
    }
    return {
      kind: 'pvc',
      namespace: sourceNamespace,
      name: pvcRef.name,
      claim,
      populated,
    };
  }

  /**
   * The source image's virtual size, as CDI's size-detection pod reports it and
   * `updateClonePVCAnnotations` keeps it on the source claim: a Filesystem claim
   * of KubeVirt content holds an image of the claim's usable space; any other
   * claim is cloned whole (its capacity).
   */
  private async detectVirtualSize(
    claim: V1PersistentVolumeClaim,
  ): Promise<number> {
    // A claim not bound yet has no capacity: its request is what it will get.
    const capacity =
      claim.status?.capacity?.storage ??
      claim.spec?.resources?.requests?.storage;
    const capacityBytes = byteCount(capacity) ?? 0;
    const filesystem =
      (claim.spec?.volumeMode ?? 'Filesystem') === 'Filesystem';
    const annotations = claim.metadata?.annotations ?? {};
    const kubevirt =
      annotations['cdi.kubevirt.io/storage.contentType'] === 'kubevirt';
    if (!filesystem || !kubevirt) return capacityBytes;
    const known = annotations[ANN_VIRTUAL_SIZE];
    if (known && byteCount(annotations[ANN_SOURCE_CAPACITY]) === capacityBytes)
      return Number(known);
    const virtualSize = usableSpace(FILESYSTEM_OVERHEAD, capacityBytes);
    try {
      await this.ctx.core.replaceNamespacedPersistentVolumeClaim({
        namespace: claim.metadata!.namespace!,
        name: claim.metadata!.name!,
        body: {
          ...claim,
          metadata: {
            ...claim.metadata,
            annotations: {
              ...annotations,
              [ANN_VIRTUAL_SIZE]: String(virtualSize),
              [ANN_SOURCE_CAPACITY]: capacity ?? '0',
            },
          },
        },
      });
    } catch (error) {
      // Only a cache for the next clone: a concurrent writer wins.
      if (errorStatus(error) !== 409) throw error;
    }
    return virtualSize;
  }

  private step(): number {
    return Math.max(50, Math.round(this.ctx.timing.importMs / 4));
  }

  /** The PVC CDI's `renderPvcSpec` would create for the DataVolume. */
  private async createPvc(
    dv: DataVolumeObject,
    clone: CloneSource | undefined,
    virtualSize: number | undefined,
  ): Promise<{ pvc: V1PersistentVolumeClaim } | { error: KubevirtCondition }> {
    const namespace = dv.metadata.namespace!;
    const name = dv.metadata.name!;
    let spec: V1PersistentVolumeClaimSpec;
    try {
      spec = await this.renderPvcSpec(dv, virtualSize);
    } catch (error) {
      if (error instanceof StorageClassNotFound) {
        // renderPvcSpecVolumeModeAndAccessModesAndStorageClass's event; the Bound
        // condition's own when it changes (emitBoundConditionEvent).
        await this.event(dv, 'Warning', 'ErrClaimNotValid', error.message);
        const bound = findCondition(dv.status?.conditions, 'Bound');
        if (
          bound?.reason !== 'ErrClaimNotValid' ||
          bound.message !== error.message
        )
          await this.event(dv, 'Normal', 'ErrClaimNotValid', error.message);
        return {
          error: {
            type: 'Bound',
            status: 'False',
            reason: 'ErrClaimNotValid',
            message: error.message,
          },
        };
      }
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
    // `newPersistentVolumeClaim`: the DataVolume's labels and annotations, and CDI's own.
    const annotations: Record<string, string> = {
      ...dv.metadata.annotations,
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
    } else if (clone?.kind === 'pvc') {
      annotations['k8s.io/CloneRequest'] = `${clone.namespace}/${clone.name}`;
    }
    const pvc: V1PersistentVolumeClaim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name,
        namespace,
        labels: {
          app: 'containerized-data-importer',
          ...(spec.volumeMode === 'Filesystem' && {
            'alerts.k8s.io/KubePersistentVolumeFillingUp': 'disabled',
          }),
          ...dv.metadata.labels,
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

  /**
   * `renderPvcSpec`; `virtualSize` is the clone source's image size, for a clone
   * whose `storage` gives no size (`detectCloneSize` inflates it like a request).
   */
  private async renderPvcSpec(
    dv: DataVolumeObject,
    virtualSize?: number,
  ): Promise<V1PersistentVolumeClaimSpec> {
    if (dv.spec.pvc) return structuredClone(dv.spec.pvc);
    const storage = dv.spec.storage;
    if (!storage)
      throw new Error('datavolume one of {pvc, storage} field is required');
    const spec: V1PersistentVolumeClaimSpec = structuredClone(storage);
    const named = spec.storageClassName;
    if (
      named &&
      named !== SIMULATED_STORAGE_CLASS &&
      !spec.accessModes?.length &&
      !(await this.storageClassExists(named))
    )
      throw new StorageClassNotFound();
    if (!spec.storageClassName) {
      const defaultClass = await this.defaultStorageClass();
      if (defaultClass) spec.storageClassName = defaultClass;
    }
    // What a StorageProfile without claim property sets would leave: the commonest defaults.
    if (!spec.accessModes?.length) spec.accessModes = ['ReadWriteOnce'];
    if (!spec.volumeMode) spec.volumeMode = 'Filesystem';
    const requested = spec.resources?.requests?.storage;
    if (!requested && virtualSize === undefined)
      throw new Error('PVC Spec is not valid - missing storage size');
    // Whole bytes (rounded up, as Kubernetes' Value()); a double holds them exactly up to 8 PiB.
    const bytes = byteCount(requested) ?? virtualSize!;
    if (requested && bytes < MiB)
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

  /** Whether the StorageClass `name` exists. */
  private async storageClassExists(name: string): Promise<boolean> {
    try {
      await this.ctx.custom.getClusterCustomObject({
        group: 'storage.k8s.io',
        version: 'v1',
        plural: 'storageclasses',
        name,
      });
      return true;
    } catch (error) {
      if (errorStatus(error) === 404) return false;
      throw error;
    }
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

  private async annotatePvc(
    pvc: V1PersistentVolumeClaim,
    podPhase: string,
    kind: Kind,
  ) {
    const annotations = {
      ...pvc.metadata?.annotations,
      'cdi.kubevirt.io/storage.pod.phase': podPhase,
      'cdi.kubevirt.io/storage.condition.running': 'false',
      'cdi.kubevirt.io/storage.condition.running.message':
        kind === 'Clone' ? 'Clone Complete' : 'Import Complete',
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

  /**
   * CDI's `updateConditions`: Bound from the claim, Ready from the phase, Running from
   * the transfer (or `failure.running`, an importer that exits). Phase `''` is CDI's
   * PhaseUnset, written when no claim could be rendered: no phase, and Ready says why.
   */
  private async writeStatus(
    dv: DataVolumeObject,
    phase: string,
    progress: string,
    boundError?: KubevirtCondition,
    pvc?: V1PersistentVolumeClaim,
    failure?: {
      running: Omit<
        KubevirtCondition,
        'lastTransitionTime' | 'lastHeartbeatTime'
      >;
      restartCount: number;
    },
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
        reason:
          (running && !failure ? 'TransferRunning' : '') ||
          (phase === '' ? boundError?.reason ?? '' : ''),
        message: phase === '' ? boundError?.message ?? '' : '',
      }),
      set(failure?.running ?? runningCondition(phase, transferKind(dv))),
    ];
    const status =
      phase === ''
        ? { conditions }
        : {
            phase,
            progress,
            claimName: dv.metadata.name,
            restartCount: failure?.restartCount ?? 0,
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
        } -> ${phase || '(unset)'}`,
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
