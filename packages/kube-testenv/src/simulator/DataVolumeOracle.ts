import { JsonLinesProcess } from './JsonLinesProcess';

/**
 * One request to the DataVolume oracle (see go/kubevirt/cmd/cdioracle/main.go).
 *
 * @public
 */
export interface DataVolumeOracleRequest {
  /** The DataVolume as the VM's `dataVolumeTemplates` entry becomes it (namespace `default` when unset). */
  dataVolume: object;
  /**
   * The cluster CDI reads, as Kubernetes objects with `apiVersion` and `kind`:
   * StorageClasses, StorageProfiles (with `status.claimPropertySets`), the CDIConfig
   * `config` (with the `status` CDI's config controller writes), CSIDrivers,
   * DataSources, PersistentVolumeClaims, VolumeSnapshots, VolumeSnapshotContents,
   * VolumeSnapshotClasses.
   */
  objects: object[];
  /**
   * Bytes CDI's size-detection pod reports for a Filesystem source claim of KubeVirt
   * content (its qemu-img virtual size). Without it a clone with no size from such a
   * claim stays pending, as in a cluster until the pod ends.
   */
  imageVirtualSize?: string;
  /** The node the scheduler picks for a WaitForFirstConsumer claim (default `node-1`). */
  selectedNode?: string;
}

/**
 * A claim CDI creates for the DataVolume.
 *
 * @public
 */
export interface DataVolumeOracleClaim {
  /**
   * `target`: the DataVolume's own claim; `pvcPrime`: the populator's PVC' beside it;
   * `cloneTemp`: the clone populator's temporary claim (in the source's namespace);
   * `scratch`: the import's scratch claim.
   */
  role: 'target' | 'pvcPrime' | 'cloneTemp' | 'scratch' | 'other';
  name: string;
  namespace: string;
  storageClassName?: string;
  volumeMode?: string;
  accessModes?: string[];
  /** `spec.resources.requests.storage` as CDI wrote it. */
  storage?: string;
  storageBytes?: number;
  /** Scratch only: `always`, or `ifImporterAsks` (the image needs converting). */
  when?: 'always' | 'ifImporterAsks';
}

/**
 * What CDI v1.65.0's controllers do with the DataVolume: its claims, or why it creates none.
 *
 * @public
 */
export interface DataVolumeOracleAnswer {
  operation: 'import' | 'pvcClone' | 'snapshotClone';
  claims: DataVolumeOracleClaim[];
  usesPopulator?: boolean;
  /** The clone strategy CDI chose (`copy`, `snapshot`, `csi-clone`), for clones. */
  cloneStrategy?: string;
  /** Why CDI creates no claim (its event reason and message); `claims` is then empty. */
  refusal?: { reason?: string; message: string };
  /** The populator's error: the claim exists but CDI does not fill it. */
  populatorError?: string;
  warnings?: string[];
}

/**
 * Talks to one long-lived `cdioracle serve` process: a Go program that runs CDI
 * v1.65.0's own DataVolume controllers and populators against an in-memory API filled
 * from the request, and reports the claims they create.
 *
 * @public
 */
export class DataVolumeOracle {
  private readonly process: JsonLinesProcess;

  constructor(
    cdiOraclePath: string,
    log: (line: string) => void = () => {},
    timeoutMs = 60_000,
  ) {
    this.process = new JsonLinesProcess(
      cdiOraclePath,
      ['serve'],
      log,
      timeoutMs,
    );
  }

  /** Starts the process now (CDI's controllers take a moment to set up). */
  warmUp(): void {
    this.process.warmUp();
  }

  /** The claims CDI creates for `request.dataVolume`; rejects with the oracle's error (bad input). */
  async render(
    request: DataVolumeOracleRequest,
  ): Promise<DataVolumeOracleAnswer> {
    const answer = await this.process.request(request);
    if (!Array.isArray(answer.claims) || typeof answer.operation !== 'string') {
      throw new Error(
        'the DataVolume oracle answered without claims or operation',
      );
    }
    return answer as unknown as DataVolumeOracleAnswer;
  }

  /** Ends the process. */
  stop(): Promise<void> {
    return this.process.stop();
  }
}
