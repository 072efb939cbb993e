import type {
  V1PersistentVolumeClaim,
  V1Pod,
  V1ResourceQuota,
} from '@kubernetes/client-node';
import type { VirtualMachineInstanceObject } from '@vmportal/plugin-kubevirt-common';
import { JsonLinesProcess } from './JsonLinesProcess';

/**
 * One request to the oracle (see go/kubevirt/cmd/oracle/main.go).
 *
 * @public
 */
export interface OracleRequest {
  vmi: VirtualMachineInstanceObject;
  /** KubeVirt CR `spec.configuration`. */
  kubevirt?: object;
  /** KubeVirt CR `metadata.annotations`. */
  kubevirtAnnotations?: Record<string, string>;
  /** The cluster's architecture (default amd64, whatever the host is). */
  architecture?: string;
  /** NetworkAttachmentDefinitions virt-controller may look up. */
  nads?: object[];
  /** ConfigMaps virt-controller may look up (hook sidecars' scripts). */
  configMaps?: object[];
  namespaceQuotas?: V1ResourceQuota[];
  namespaceLabels?: Record<string, string>;
  pvcs?: V1PersistentVolumeClaim[];
  /** A VirtualMachine(Cluster)Instancetype object, applied to the VMI first. */
  instancetype?: object;
  /** A VirtualMachine(Cluster)Preference object, applied to the VMI first. */
  preference?: object;
}

/**
 * The oracle's answer: KubeVirt's own rendering of the virt-launcher pod.
 *
 * @public
 */
export interface OracleAnswer {
  pod: V1Pod;
  compute: { requests: Record<string, string>; limits: Record<string, string> };
  memoryOverhead: string;
  /** The VMI after instancetype/preference and virt-api's defaults. */
  vmi: VirtualMachineInstanceObject;
  warnings?: string[];
}

/**
 * Why KubeVirt refuses a VMI: virt-api's validation causes, or the VM controller's
 * error for a default interface the cluster does not permit.
 *
 * @public
 */
export interface OracleRefusal {
  refusals: Array<{ message: string; field?: string }>;
}

/**
 * Talks to one long-lived `oracle serve` process: a Go program built from
 * KubeVirt's own packages that renders the launcher pod exactly as
 * virt-controller would. Requests are JSON lines matched to answers by id; the
 * process is restarted on the next request if it dies.
 *
 * @public
 */
export class LauncherPodOracle {
  private readonly process: JsonLinesProcess;

  constructor(
    oraclePath: string,
    log: (line: string) => void,
    timeoutMs = 60_000,
  ) {
    this.process = new JsonLinesProcess(oraclePath, ['serve'], log, timeoutMs);
  }

  /** Starts the process now: KubeVirt's packages take seconds to initialise, better not on the first VM. */
  warmUp(): void {
    this.process.warmUp();
  }

  /**
   * Renders the launcher pod for `request.vmi`; rejects with the oracle's error, or
   * when KubeVirt would refuse the VMI (the error names virt-api's reasons).
   */
  async render(request: OracleRequest): Promise<OracleAnswer> {
    const answer = await this.renderOrRefuse(request);
    if ('pod' in answer) return answer;
    throw new Error(
      `KubeVirt refuses the VMI: ${answer.refusals
        .map(r => (r.field ? `${r.field}: ${r.message}` : r.message))
        .join('; ')}`,
    );
  }

  /** Renders the launcher pod for `request.vmi`, or says why KubeVirt refuses the VMI. */
  async renderOrRefuse(
    request: OracleRequest,
  ): Promise<OracleAnswer | OracleRefusal> {
    const message = (await this.process.request(request)) as Partial<
      OracleAnswer & OracleRefusal
    >;
    if (message.refusals?.length) return { refusals: message.refusals };
    if (!message.pod || !message.compute || !message.vmi) {
      throw new Error(
        'the oracle answered without a pod, compute resources or vmi',
      );
    }
    return message as OracleAnswer;
  }

  /** Ends the process (closing its stdin lets it exit by itself; SIGKILL after 5 s). */
  stop(): Promise<void> {
    return this.process.stop();
  }
}
