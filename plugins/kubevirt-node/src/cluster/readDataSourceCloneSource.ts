import { NotAllowedError } from '@backstage/errors';
import {
  cloneSourceOf,
  CloneSourceInfo,
  DataSourceObject,
  PersistentVolumeClaimObject,
  VolumeSnapshotObject,
} from '@vmportal/plugin-kubevirt-common';
import { KubeApiTransport, objectPath } from '../transport/KubeApiTransport';

const CDI_API = 'cdi.kubevirt.io/v1beta1';
const SNAPSHOT_API = 'snapshot.storage.k8s.io/v1';

type SourceRef = { name: string; namespace?: string };

/** A DataSource with the status CDI fills for one that points at another DataSource. */
interface DataSourceWithStatus extends DataSourceObject {
  status?: DataSourceObject['status'] & {
    source?: { pvc?: SourceRef; snapshot?: SourceRef };
  };
}

/**
 * What CDI sizes a clone of the DataSource `namespace/name` from: its source claim or
 * snapshot, found the way CDI's clone controllers find it (populateSourceIfSourceRef:
 * `spec.source`, or `status.source` for a DataSource that points at another), for
 * `planQuota`'s `imageCloneSource`. `unknown` says why it could not be read; the plan
 * then lists a size-less clone among its unknowns.
 *
 * @public
 */
export async function readDataSourceCloneSource(
  transport: KubeApiTransport,
  namespace: string,
  name: string,
): Promise<{ source: CloneSourceInfo } | { unknown: string }> {
  const where = `${namespace}/${name}`;
  try {
    const dataSource = await transport.getOptional<DataSourceWithStatus>(
      `get datasource ${where}`,
      objectPath(CDI_API, 'datasources', namespace, name),
    );
    if (!dataSource) {
      return { unknown: `the DataSource ${where} does not exist` };
    }
    const source = dataSource.spec.source?.dataSource
      ? dataSource.status?.source
      : dataSource.spec.source;
    if (source?.pvc) {
      const pvcNamespace = source.pvc.namespace || namespace;
      const pvc = await transport.getOptional<PersistentVolumeClaimObject>(
        `get persistentvolumeclaim ${pvcNamespace}/${source.pvc.name}`,
        objectPath(
          'v1',
          'persistentvolumeclaims',
          pvcNamespace,
          source.pvc.name,
        ),
      );
      if (!pvc) {
        return {
          unknown: `the claim ${pvcNamespace}/${source.pvc.name} of DataSource ${where} does not exist`,
        };
      }
      return {
        source: cloneSourceOf({ ...pvc, kind: 'PersistentVolumeClaim' }),
      };
    }
    if (source?.snapshot) {
      const snapshotNamespace = source.snapshot.namespace || namespace;
      const snapshot = await transport.getOptional<VolumeSnapshotObject>(
        `get volumesnapshot ${snapshotNamespace}/${source.snapshot.name}`,
        objectPath(
          SNAPSHOT_API,
          'volumesnapshots',
          snapshotNamespace,
          source.snapshot.name,
        ),
      );
      if (!snapshot) {
        return {
          unknown: `the snapshot ${snapshotNamespace}/${source.snapshot.name} of DataSource ${where} does not exist`,
        };
      }
      return { source: cloneSourceOf({ ...snapshot, kind: 'VolumeSnapshot' }) };
    }
    return {
      unknown: `the DataSource ${where} names no source yet (CDI: DataSource may not be ready yet)`,
    };
  } catch (error) {
    if (error instanceof NotAllowedError) {
      return {
        unknown: `the portal may not read the source of DataSource ${where} (${error.message})`,
      };
    }
    throw error;
  }
}
