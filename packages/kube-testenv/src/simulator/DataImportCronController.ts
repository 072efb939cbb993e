import { createHash } from 'node:crypto';
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type {
  DataImportCronObject,
  DataVolumeObject,
  DataVolumeSpec,
  KubeObjectMeta,
  KubevirtCondition,
} from '@vmportal/plugin-kubevirt-common';
import { errorStatus } from '../kubeClient';
import { setCdiCondition } from './conditions';
import { copyAllowedLabels, DataSource } from './DataSourceController';
import {
  canonicalJson,
  DATA_IMPORT_CRONS,
  DATA_SOURCES,
  DATA_VOLUMES,
  now,
  orNotFound,
  readCustomObject,
} from './resources';
import type { SimulatorContext } from './SimulatorContext';

/** CDI's label naming the DataImportCron an object was made for (`common.DataImportCronLabel`). */
const DATA_IMPORT_CRON_LABEL = 'cdi.kubevirt.io/dataImportCron';
const CLEANUP_LABEL = `${DATA_IMPORT_CRON_LABEL}.cleanup`;
const ANN_DESIRED_DIGEST = 'cdi.kubevirt.io/storage.import.sourceDesiredDigest';
const ANN_LAST_CRON_TIME = 'cdi.kubevirt.io/storage.import.lastCronTime';
const ANN_LAST_USE_TIME = 'cdi.kubevirt.io/storage.import.lastUseTime';
const ANN_STORAGE_CLASS = 'cdi.kubevirt.io/storage.import.storageClass';
const ANN_IMMEDIATE_BINDING =
  'cdi.kubevirt.io/storage.bind.immediate.requested';
const ANN_POD_RETAIN = 'cdi.kubevirt.io/storage.pod.retainAfterCompletion';
/** Labels `util.SetRecommendedLabels` puts on what the CDI controller creates. */
const RECOMMENDED_LABELS = {
  'app.kubernetes.io/managed-by': 'cdi-controller',
  'app.kubernetes.io/component': 'storage',
};
const DIGEST_SUFFIX_LENGTH = 12;
const CDI = { component: 'dataimportcron-controller' };

/** `cdiv1.ImportStatus` (CDI spells its JSON fields with capitals). */
interface ImportStatus {
  DataVolumeName: string;
  Digest: string;
}

/** A DataImportCron as CDI v1.65 reads and writes it. */
export type DataImportCron = Omit<DataImportCronObject, 'spec' | 'status'> & {
  spec: {
    managedDataSource: string;
    schedule: string;
    template: {
      metadata?: Partial<KubeObjectMeta>;
      spec: DataVolumeSpec & {
        source?: DataVolumeSpec['source'] & {
          registry?: { url?: string; pullMethod?: string };
        };
        storage?: { storageClassName?: string };
      };
    };
    retentionPolicy?: string;
  };
  status?: {
    currentImports?: ImportStatus[];
    lastImportedPVC?: { namespace: string; name: string };
    lastExecutionTimestamp?: string;
    lastImportTimestamp?: string;
    sourceFormat?: string;
    conditions?: KubevirtCondition[];
  };
};

/** The DataImportCron `object` belongs to, by CDI's label (`mapSourceObjectToCron`). */
export function cronOf(object: {
  metadata?: { labels?: Record<string, string> };
}): string | undefined {
  return object.metadata?.labels?.[DATA_IMPORT_CRON_LABEL] || undefined;
}

/**
 * `untagDigestedDockerURL`: `docker://quay.io/containerdisks/fedora:41@sha256:…`
 * becomes `docker://quay.io/containerdisks/fedora@sha256:…` (a digest pins the
 * image, so the tag goes; Docker Hub names get their full form, as
 * `reference.ParseDockerRef` writes them).
 */
function untagDigestedDockerUrl(url: string): string {
  const match =
    /^([a-z][a-z0-9+.-]*):\/\/(.+?)(?::([\w][\w.-]{0,127}))?@(sha256:[0-9a-f]{64})$/.exec(
      url,
    );
  if (!match?.[3]) return url;
  const [, scheme, name, , digest] = match;
  const [first, ...rest] = name.split('/');
  const isHost =
    rest.length > 0 && (/[.:]/.test(first) || first === 'localhost');
  const full = isHost
    ? name
    : `docker.io/${rest.length ? '' : 'library/'}${name}`;
  return `${scheme}://${full}@${digest}`;
}

/**
 * `createDvName`: the managed DataSource's name and the digest's first twelve
 * characters after `sha256:` or `uid:` (CDI shortens only names over 253
 * characters, which DataSource names never reach here).
 */
function importDataVolumeName(
  managedDataSource: string,
  digest: string,
): string {
  const prefix = ['sha256:', 'uid:'].find(p => digest.startsWith(p));
  if (!prefix) throw new Error(`digest ${digest} has no supported prefix`);
  if (digest.length < prefix.length + DIGEST_SUFFIX_LENGTH)
    throw new Error(`digest ${digest} is too short`);
  return `${managedDataSource}-${digest.slice(
    prefix.length,
    prefix.length + DIGEST_SUFFIX_LENGTH,
  )}`;
}

/**
 * Plays CDI's dataimportcron-controller (v1.65, `DataImportCronReconciler.update`)
 * for a cron's first import: once the source digest is known, creates the import
 * DataVolume `<managedDataSource>-<digest prefix>` (labelled with the cron),
 * creates the managed DataSource if it is missing and points it at the imported
 * PVC once the DataVolume has Succeeded, and keeps the cron's status as CDI does
 * (`currentImports`, `lastImportedPVC`, `lastImportTimestamp`,
 * `lastExecutionTimestamp`, `sourceFormat`, conditions `Progressing` and
 * `UpToDate`).
 *
 * What a cluster does with a schedule is not simulated beyond the first import:
 * CDI runs a CronJob whose poller pod asks the registry for the image's digest
 * and writes it on the cron; here that "poll" happens once, right away, and the
 * digest is derived from the URL (no registry can be reached), so the same URL
 * always gives the same import. Sources that are PVCs are polled as CDI does
 * (digest `uid:<the PVC's UID>`). No garbage collection of older imports, no
 * VolumeSnapshot source format, no ImageStreams.
 */
export class DataImportCronController {
  constructor(private readonly ctx: SimulatorContext) {}

  async reconcile(namespace: string, name: string): Promise<void> {
    const cron = await readCustomObject<DataImportCron>(
      this.ctx.custom,
      DATA_IMPORT_CRONS,
      namespace,
      name,
    );
    if (!cron || cron.metadata.deletionTimestamp) {
      await this.cleanup(namespace, name);
      return;
    }
    if (!(await this.shouldReconcile(cron))) return;
    const before = canonicalJson(cron);
    await this.update(cron);
    let current = cron;
    if (canonicalJson(cron) !== before) {
      // DataImportCrons have no status subresource: CDI updates the whole object.
      current = (await this.ctx.custom.replaceNamespacedCustomObject({
        ...DATA_IMPORT_CRONS,
        namespace,
        name,
        body: cron,
      })) as DataImportCron;
    }
    await this.poll(current);
  }

  /** `shouldReconcileCron`: refuses a DataSource that another cron manages. */
  private async shouldReconcile(cron: DataImportCron): Promise<boolean> {
    const namespace = cron.metadata.namespace!;
    const dataSource = await readCustomObject<DataSource>(
      this.ctx.custom,
      DATA_SOURCES,
      namespace,
      cron.spec.managedDataSource,
    );
    const owner = dataSource && cronOf(dataSource);
    if (!owner || owner === cron.metadata.name) return true;
    const other = await readCustomObject<DataImportCron>(
      this.ctx.custom,
      DATA_IMPORT_CRONS,
      namespace,
      owner,
    );
    if (other?.spec.managedDataSource !== cron.spec.managedDataSource)
      return true;
    await this.ctx.events.record(
      {
        apiVersion: 'cdi.kubevirt.io/v1beta1',
        kind: 'DataImportCron',
        metadata: cron.metadata,
      },
      'Warning',
      'ErrDataSourceAlreadyManaged',
      `DataSource ${cron.spec.managedDataSource} is already managed by DataImportCron ${owner}`,
      CDI,
    );
    return false;
  }

  /** `update`, for a PVC source format. */
  private async update(cron: DataImportCron): Promise<void> {
    const namespace = cron.metadata.namespace!;
    cron.status = cron.status ?? {};
    const status = cron.status;
    const condition = (
      type: 'Progressing' | 'UpToDate',
      value: 'True' | 'False',
      message: string,
      reason: string,
    ) => {
      status.conditions = setCdiCondition(status.conditions, {
        type,
        status: value,
        message,
        reason,
      });
    };

    let imports = status.currentImports ?? [];
    const importName = imports[0]?.DataVolumeName;
    // From the watches' caches, as CDI reads through controller-runtime's.
    const dv = importName
      ? this.ctx.caches.dataVolume(namespace, importName)
      : undefined;
    const cachedPvc = importName
      ? this.ctx.caches.pvc(namespace, importName)
      : undefined;
    const pvc = cachedPvc && structuredClone(cachedPvc);

    const storageClass = await this.desiredStorageClass(cron);
    if (storageClass) {
      cron.metadata.annotations = {
        ...cron.metadata.annotations,
        [ANN_STORAGE_CLASS]: storageClass,
      };
    }

    let importSucceeded = false;
    const populated = async () => {
      if (pvc) await this.updateSource(cron, pvc);
      importSucceeded = true;
    };
    if (dv) {
      const phase = dv.status?.phase ?? '';
      if (phase === 'Succeeded') await populated();
      else if (phase === 'ImportScheduled')
        condition(
          'Progressing',
          'False',
          'Import is scheduled',
          'ImportScheduled',
        );
      else if (phase === 'ImportInProgress')
        condition(
          'Progressing',
          'True',
          'Import is progressing',
          'ImportProgressing',
        );
      else
        condition(
          'Progressing',
          'False',
          `Import DataVolume phase ${phase}`,
          phase,
        );
    } else if (pvc?.status?.phase === 'Bound') {
      await populated();
    } else {
      if (imports.length > 0) {
        imports = imports.slice(1);
        status.currentImports = imports;
      }
      condition('Progressing', 'False', 'No current import', 'NoImport');
    }

    if (importSucceeded) {
      // `updateDataImportCronOnSuccess`
      const current = status.currentImports?.[0];
      if (!current)
        throw new Error(`No CurrentImports in cron ${cron.metadata.name}`);
      const last = status.lastImportedPVC;
      if (
        last?.namespace !== namespace ||
        last.name !== current.DataVolumeName
      ) {
        status.lastImportedPVC = { namespace, name: current.DataVolumeName };
        status.lastImportTimestamp = now();
      }
      condition('Progressing', 'False', 'No current import', 'NoImport');
    }

    await this.updateDataSource(cron);

    const desired = cron.metadata.annotations?.[ANN_DESIRED_DIGEST];
    const digestUpdated =
      Boolean(desired) &&
      (imports.length === 0 || desired !== imports[0].Digest);
    if (digestUpdated) {
      condition(
        'UpToDate',
        'False',
        'Source digest updated since last import',
        'Outdated',
      );
      if (importSucceeded || imports.length === 0)
        await this.createImportDataVolume(cron);
    } else if (importSucceeded) {
      status.sourceFormat = 'pvc';
      condition('UpToDate', 'True', 'Latest import is up to date', 'UpToDate');
    } else if (imports.length > 0) {
      condition(
        'UpToDate',
        'False',
        'Import is progressing',
        'ImportProgressing',
      );
    } else {
      condition('UpToDate', 'False', 'No source digest', 'NoDigest');
    }

    const lastCronTime = cron.metadata.annotations?.[ANN_LAST_CRON_TIME];
    if (lastCronTime) status.lastExecutionTimestamp = lastCronTime;
  }

  /**
   * What CDI's poller (a registry URL) or the controller's own poll (a PVC)
   * writes on the cron when the schedule comes: the source's digest and the
   * time of the poll. Done once; see the class comment.
   */
  private async poll(cron: DataImportCron): Promise<void> {
    if (!cron.spec.schedule) return;
    if (cron.metadata.annotations?.[ANN_DESIRED_DIGEST]) return;
    const source = cron.spec.template.spec.source;
    let digest: string;
    if (source?.registry?.url) {
      digest = `sha256:${createHash('sha256')
        .update(source.registry.url)
        .digest('hex')}`;
    } else if (source?.pvc) {
      const pvc = await this.ctx.core.readNamespacedPersistentVolumeClaim({
        namespace: source.pvc.namespace || cron.metadata.namespace!,
        name: source.pvc.name,
      });
      digest = `uid:${pvc.metadata!.uid}`;
    } else {
      return;
    }
    cron.metadata.annotations = {
      ...cron.metadata.annotations,
      [ANN_DESIRED_DIGEST]: digest,
      [ANN_LAST_CRON_TIME]: now(),
    };
    await this.ctx.custom.replaceNamespacedCustomObject({
      ...DATA_IMPORT_CRONS,
      namespace: cron.metadata.namespace!,
      name: cron.metadata.name,
      body: cron,
    });
    this.ctx.log(
      `cdi: DataImportCron ${cron.metadata.namespace}/${cron.metadata.name} polled: digest ${digest}`,
    );
  }

  /** `GetStorageClassByNameWithVirtFallback`: the named class, else the virt default, else the default. */
  private async desiredStorageClass(
    cron: DataImportCron,
  ): Promise<string | undefined> {
    const list = (await this.ctx.custom.listClusterCustomObject({
      group: 'storage.k8s.io',
      version: 'v1',
      plural: 'storageclasses',
    })) as {
      items?: Array<{
        metadata: { name: string; annotations?: Record<string, string> };
      }>;
    };
    const classes = list.items ?? [];
    const spec = cron.spec.template.spec;
    const named = spec.storage?.storageClassName ?? spec.pvc?.storageClassName;
    if (named)
      return classes.find(c => c.metadata.name === named)?.metadata.name;
    const annotated = (key: string) =>
      classes.find(c => c.metadata.annotations?.[key] === 'true')?.metadata
        .name;
    return (
      annotated('storageclass.kubevirt.io/is-default-virt-class') ??
      annotated('storageclass.kubernetes.io/is-default-class')
    );
  }

  /** `setDataImportCronResourceLabels`: CDI's recommended labels, the cron's allowed labels and the cron's name. */
  private resourceLabels(
    cron: DataImportCron,
    labels: Record<string, string> | undefined,
  ): Record<string, string> {
    const result = copyAllowedLabels(cron.metadata.labels, {
      ...labels,
      ...RECOMMENDED_LABELS,
    });
    result[DATA_IMPORT_CRON_LABEL] = cron.metadata.name;
    if (cron.spec.retentionPolicy === 'None') result[CLEANUP_LABEL] = 'true';
    return result;
  }

  /**
   * `updateSource`: marks the imported PVC as the cron's, and as just used. CDI
   * writes a new last-use time on every pass; the simulator writes it when it
   * changes the labels or finds none, so that its passes do not keep the PVC's
   * watchers busy.
   */
  private async updateSource(
    cron: DataImportCron,
    pvc: V1PersistentVolumeClaim,
  ): Promise<void> {
    const metadata = pvc.metadata!;
    const labels = this.resourceLabels(cron, metadata.labels);
    if (
      canonicalJson(labels) === canonicalJson(metadata.labels ?? {}) &&
      metadata.annotations?.[ANN_LAST_USE_TIME]
    )
      return;
    metadata.labels = labels;
    metadata.annotations = {
      ...metadata.annotations,
      [ANN_LAST_USE_TIME]: new Date().toISOString(),
    };
    await this.ctx.core.replaceNamespacedPersistentVolumeClaim({
      namespace: metadata.namespace!,
      name: metadata.name!,
      body: pvc,
    });
  }

  /** `updateDataSource`: creates the managed DataSource if missing, and points it at the last import. */
  private async updateDataSource(cron: DataImportCron): Promise<void> {
    const namespace = cron.metadata.namespace!;
    const name = cron.spec.managedDataSource;
    let dataSource = await readCustomObject<DataSource>(
      this.ctx.custom,
      DATA_SOURCES,
      namespace,
      name,
    );
    if (!dataSource) {
      // `newDataSource`
      dataSource = (await this.ctx.custom.createNamespacedCustomObject({
        ...DATA_SOURCES,
        namespace,
        body: {
          apiVersion: 'cdi.kubevirt.io/v1beta1',
          kind: 'DataSource',
          metadata: {
            name,
            namespace,
            labels: copyAllowedLabels(cron.metadata.labels, {
              ...RECOMMENDED_LABELS,
              [DATA_IMPORT_CRON_LABEL]: cron.metadata.name,
            }),
          },
          spec: { source: {} },
        },
      })) as DataSource;
      this.ctx.log(`cdi: created DataSource ${namespace}/${name}`);
    } else if (cronOf(dataSource) !== cron.metadata.name) {
      // Not managed by this cron (`ErrNotManagedByCron`): left alone.
      return;
    }
    const before = canonicalJson(dataSource);
    dataSource.metadata.labels = this.resourceLabels(
      cron,
      dataSource.metadata.labels,
    );
    const last = cron.status?.lastImportedPVC;
    if (last)
      dataSource.spec = { ...dataSource.spec, source: { pvc: { ...last } } };
    if (canonicalJson(dataSource) === before) return;
    await this.ctx.custom.replaceNamespacedCustomObject({
      ...DATA_SOURCES,
      namespace,
      name,
      body: dataSource,
    });
  }

  /** `createImportDataVolume` with `newSourceDataVolume`. */
  private async createImportDataVolume(cron: DataImportCron): Promise<void> {
    const namespace = cron.metadata.namespace!;
    const digest = cron.metadata.annotations?.[ANN_DESIRED_DIGEST];
    if (!digest) return;
    const name = importDataVolumeName(cron.spec.managedDataSource, digest);
    const status = cron.status!;

    const existing = await orNotFound(
      this.ctx.core.readNamespacedPersistentVolumeClaim({ namespace, name }),
    );
    if (existing) {
      await this.updateSource(cron, existing);
      status.currentImports = [{ DataVolumeName: name, Digest: digest }];
      return;
    }

    const template = structuredClone(cron.spec.template);
    const spec = template.spec;
    if (spec.source?.registry?.url) {
      spec.source.registry.url = untagDigestedDockerUrl(
        `${spec.source.registry.url}@${digest}`,
      );
    }
    const annotations: Record<string, string> = {
      ...template.metadata?.annotations,
      [ANN_IMMEDIATE_BINDING]: 'true',
      [ANN_LAST_USE_TIME]: new Date().toISOString(),
    };
    const retain = cron.metadata.annotations?.[ANN_POD_RETAIN];
    if (retain) annotations[ANN_POD_RETAIN] = retain;
    const dv: DataVolumeObject = {
      apiVersion: 'cdi.kubevirt.io/v1beta1',
      kind: 'DataVolume',
      metadata: {
        ...template.metadata,
        name,
        namespace,
        labels: this.resourceLabels(cron, template.metadata?.labels),
        annotations,
      },
      spec,
    };
    try {
      await this.ctx.custom.createNamespacedCustomObject({
        ...DATA_VOLUMES,
        namespace,
        body: dv,
      });
      this.ctx.log(
        `cdi: DataImportCron ${namespace}/${cron.metadata.name} created import DataVolume ${name}`,
      );
    } catch (error) {
      if (errorStatus(error) !== 409) throw error;
    }
    status.currentImports = [{ DataVolumeName: name, Digest: digest }];
  }

  /** `cleanup`: a deleted cron with `retentionPolicy: None` takes its DataSource, DataVolumes and PVCs along. */
  private async cleanup(namespace: string, name: string): Promise<void> {
    const labelSelector = `${DATA_IMPORT_CRON_LABEL}=${name},${CLEANUP_LABEL}=true`;
    await this.ctx.custom.deleteCollectionNamespacedCustomObject({
      ...DATA_SOURCES,
      namespace,
      labelSelector,
    });
    await this.ctx.custom.deleteCollectionNamespacedCustomObject({
      ...DATA_VOLUMES,
      namespace,
      labelSelector,
    });
    await this.ctx.core.deleteCollectionNamespacedPersistentVolumeClaim({
      namespace,
      labelSelector,
    });
  }
}
