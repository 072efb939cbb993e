import type {
  DataSourceObject,
  DataVolumeSpec,
} from '@vmportal/plugin-kubevirt-common';
import { errorStatus } from '../kubeClient';
import { findCondition, setCdiCondition } from './conditions';
import { canonicalJson, DATA_SOURCES, readCustomObject } from './resources';
import type { SimulatorContext } from './SimulatorContext';

type SourceRef = { name: string; namespace?: string };

/** A DataSource as CDI v1.65 stores it: `status.source` is the resolved source while Ready. */
export type DataSource = DataSourceObject & {
  status?: DataSourceObject['status'] & {
    source?: NonNullable<DataSourceObject['spec']['source']>;
  };
};

/** CDI's `validLabelsMatch`: the labels CDI copies from a source onto a DataSource (`CopyAllowedLabels`). */
const ALLOWED_LABEL = /^([\w.]+\.kubevirt.io|kubevirt.io)\/[\w.-]+$/;

/** Copies the labels CDI lets travel between its objects (`cc.CopyAllowedLabels`, overwriting). */
export function copyAllowedLabels(
  from: Record<string, string> | undefined,
  to: Record<string, string>,
): Record<string, string> {
  for (const [key, value] of Object.entries(from ?? {})) {
    if (ALLOWED_LABEL.test(key)) to[key] = value;
  }
  return to;
}

/** Whether a DataVolume spec (of a DataVolume, or a VM's template, in `namespace`) clones from the DataSource. */
export function usesDataSource(
  spec: DataVolumeSpec | undefined,
  namespace: string | undefined,
  dataSource: { metadata: { name: string; namespace?: string } },
): boolean {
  const ref = spec?.sourceRef;
  return (
    ref?.kind === 'DataSource' &&
    ref.name === dataSource.metadata.name &&
    (ref.namespace ?? namespace) === dataSource.metadata.namespace
  );
}

/**
 * The DataSources a change of the PVC, DataVolume or DataSource `namespace/name`
 * concerns (CDI's `mapToDataSource` and its `spec.source.dataSource` index).
 */
export function dataSourcesReferencing(
  dataSources: ReadonlyArray<DataSource>,
  namespace: string | undefined,
  name: string | undefined,
): DataSource[] {
  const points = (ref: SourceRef | undefined, ds: DataSource) =>
    ref !== undefined &&
    ref.name === name &&
    (ref.namespace || ds.metadata.namespace) === namespace;
  return dataSources.filter(ds => {
    const source = ds.spec.source;
    return (
      points(source?.pvc, ds) ||
      points(source?.snapshot, ds) ||
      points(source?.dataSource, ds)
    );
  });
}

/**
 * Plays CDI's datasource-controller (v1.65): resolves a DataSource (a reference
 * to another DataSource at most one level deep, in the same namespace) and sets
 * its `Ready` condition: True when the source PVC's DataVolume has Succeeded, or
 * when the PVC exists without a DataVolume; else False with CDI's reason
 * (`NoSource`, `NotFound`, the import DataVolume's phase, …). While Ready,
 * `status.source` holds the resolved source and the DataSource takes the allowed
 * labels of the DataVolume and the PVC.
 */
export class DataSourceController {
  constructor(private readonly ctx: SimulatorContext) {}

  async reconcile(namespace: string, name: string): Promise<void> {
    const dataSource = await readCustomObject<DataSource>(
      this.ctx.custom,
      DATA_SOURCES,
      namespace,
      name,
    );
    if (!dataSource) return;
    const before = canonicalJson(dataSource);
    dataSource.status = dataSource.status ?? {};
    const ready = (
      status: 'True' | 'False',
      message: string,
      reason: string,
    ) => {
      dataSource.status!.conditions = setCdiCondition(
        dataSource.status!.conditions,
        { type: 'Ready', status, message, reason },
      );
    };

    const resolved = await this.resolve(dataSource);
    let source: DataSource['spec']['source'];
    if ('error' in resolved) {
      ready('False', resolved.error.message, resolved.error.reason);
    } else {
      source = resolved.source;
      dataSource.status.source = structuredClone(source ?? {});
      if (source?.pvc) {
        await this.pvcSource(dataSource, source.pvc, ready);
      } else if (source?.snapshot) {
        await this.snapshotSource(dataSource, source.snapshot, ready);
      } else {
        ready('False', 'No source PVC set', 'NoSource');
      }
    }
    if (findCondition(dataSource.status.conditions, 'Ready')?.status !== 'True')
      dataSource.status.source = {};

    if (canonicalJson(dataSource) === before) return;
    // DataSources have no status subresource: CDI updates the whole object.
    await this.ctx.custom.replaceNamespacedCustomObject({
      ...DATA_SOURCES,
      namespace,
      name,
      body: dataSource,
    });
    const condition = findCondition(dataSource.status.conditions, 'Ready');
    this.ctx.log(
      `cdi: DataSource ${namespace}/${name} Ready=${condition?.status} (${condition?.reason})`,
    );
  }

  /** `cc.ResolveDataSourceChain`: the source itself, or the referenced DataSource's. */
  private async resolve(
    dataSource: DataSource,
  ): Promise<
    | { source: DataSource['spec']['source'] }
    | { error: { reason: string; message: string } }
  > {
    const ref = dataSource.spec.source?.dataSource;
    if (!ref) return { source: dataSource.spec.source };
    const refNamespace = ref.namespace || dataSource.metadata.namespace;
    if (refNamespace !== dataSource.metadata.namespace) {
      return {
        error: {
          reason: 'CrossNamespaceReference',
          message:
            'DataSource cannot reference a DataSource in another namespace',
        },
      };
    }
    if (ref.name === dataSource.metadata.name) {
      return {
        error: {
          reason: 'SelfReference',
          message: 'DataSource cannot self-reference',
        },
      };
    }
    const target = await readCustomObject<DataSource>(
      this.ctx.custom,
      DATA_SOURCES,
      refNamespace!,
      ref.name,
    );
    if (!target) {
      return {
        error: {
          reason: 'NotFound',
          message: `datasources.cdi.kubevirt.io "${ref.name}" not found`,
        },
      };
    }
    if (target.spec.source?.dataSource) {
      return {
        error: {
          reason: 'MaxDepthReached',
          message: 'DataSource reference chain exceeds maximum depth of 1',
        },
      };
    }
    return { source: target.spec.source };
  }

  /** `handlePvcSource`. */
  private async pvcSource(
    dataSource: DataSource,
    ref: SourceRef,
    ready: (status: 'True' | 'False', message: string, reason: string) => void,
  ) {
    const namespace = ref.namespace || dataSource.metadata.namespace!;
    // From the watches' caches, as CDI reads through controller-runtime's.
    const pvc = this.ctx.caches.pvc(namespace, ref.name);
    const dv = this.ctx.caches.dataVolume(namespace, ref.name);
    // As CDI: a claim without a DataVolume is taken as populated, bound or not.
    const isReady = dv ? dv.status?.phase === 'Succeeded' : Boolean(pvc);
    if (!isReady) {
      if (dv) {
        const phase = dv.status?.phase ?? '';
        ready('False', `Import DataVolume phase ${phase}`, phase);
      } else {
        ready('False', 'PVC not found', 'NotFound');
      }
      return;
    }
    const labels = { ...dataSource.metadata.labels };
    copyAllowedLabels(dv?.metadata.labels, labels);
    copyAllowedLabels(pvc?.metadata?.labels, labels);
    dataSource.metadata.labels = labels;
    ready('True', 'DataSource is ready to be consumed', 'Ready');
  }

  /** `handleSnapshotSource`: no snapshot controller runs here, so a snapshot counts as ready once it exists. */
  private async snapshotSource(
    dataSource: DataSource,
    ref: SourceRef,
    ready: (status: 'True' | 'False', message: string, reason: string) => void,
  ) {
    const namespace = ref.namespace || dataSource.metadata.namespace!;
    let exists: boolean;
    try {
      await this.ctx.custom.getNamespacedCustomObject({
        group: 'snapshot.storage.k8s.io',
        version: 'v1',
        plural: 'volumesnapshots',
        namespace,
        name: ref.name,
      });
      exists = true;
    } catch (error) {
      if (errorStatus(error) !== 404) throw error;
      // Also what an apiserver without the VolumeSnapshot CRDs answers.
      exists = false;
    }
    if (exists) ready('True', 'DataSource is ready to be consumed', 'Ready');
    else ready('False', 'Snapshot not found', 'NotFound');
  }
}
