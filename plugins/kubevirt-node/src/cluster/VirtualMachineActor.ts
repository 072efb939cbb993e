import { NotFoundError, ServiceUnavailableError } from '@backstage/errors';
import type {
  JsonPatchOperation,
  KubeObject,
  PowerAction,
  VirtualMachine,
  VirtualMachineInstanceMigrationObject,
  VirtualMachineRestore,
  VirtualMachineSnapshot,
} from '@vmportal/plugin-kubevirt-common';
import {
  collectionPath,
  KubeApiTransport,
  objectPath,
} from '../transport/KubeApiTransport';

import type { WebSocket } from 'ws';

/** KubeVirt's snapshot API. */
const SNAPSHOT_API = 'snapshot.kubevirt.io/v1beta1';

interface DiscoveredResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

/**
 * What the portal changes in a cluster, with the actor credential: KubeVirt's power
 * subresources, a VM's run strategy (where the subresources are not served), and
 * server-side dry-run creates of rendered manifests. Callers check the user's
 * permission first; this credential is never behind any proxy.
 *
 * @public
 */
export class VirtualMachineActor {
  /** The cluster's name, as configured. */
  readonly cluster: string;
  /** Whether the cluster serves the power subresources; asked once. */
  private powerSubresources?: Promise<boolean>;
  /** Plural and scope of each kind, by apiVersion, from discovery. */
  private readonly discoveredKinds = new Map<
    string,
    Promise<Map<string, DiscoveredResource>>
  >();

  constructor(private readonly transport: KubeApiTransport) {
    this.cluster = transport.cluster;
  }

  /**
   * Whether the cluster serves KubeVirt's power subresources
   * (`subresources.kubevirt.io/v1` with `virtualmachines/start`). Asked once and
   * cached; an apiserver that answers 503 (virt-api registered but down) counts as not
   * serving them this time, and is asked again next time.
   */
  servesPowerSubresources(): Promise<boolean> {
    if (!this.powerSubresources) {
      this.powerSubresources = this.transport
        .request<{ resources?: Array<{ name?: string }> }>(
          'discover subresources.kubevirt.io/v1',
          'GET',
          '/apis/subresources.kubevirt.io/v1',
        )
        .then(
          list =>
            (list.resources ?? []).some(
              r => r.name === 'virtualmachines/start',
            ),
          error => {
            if (error instanceof NotFoundError) return false;
            this.powerSubresources = undefined;
            if (error instanceof ServiceUnavailableError) return false;
            throw error;
          },
        );
    }
    return this.powerSubresources;
  }

  /**
   * Calls a KubeVirt power subresource:
   * `PUT /apis/subresources.kubevirt.io/v1/namespaces/{ns}/virtualmachines/{name}/{start|stop|restart}`
   * or `.../virtualmachineinstances/{name}/{pause|unpause}`. `body` is KubeVirt's
   * StartOptions, StopOptions or RestartOptions. KubeVirt's refusals (409 "VM is
   * already running", …) come back as `KubernetesApiError` with statusCode 409.
   */
  async virtualMachinePowerAction(
    namespace: string,
    name: string,
    action: PowerAction,
    body: object = {},
  ): Promise<void> {
    const resource =
      action === 'pause' || action === 'unpause'
        ? 'virtualmachineinstances'
        : 'virtualmachines';
    await this.transport.request(
      `${action} ${resource} ${namespace}/${name}`,
      'PUT',
      `${objectPath(
        'subresources.kubevirt.io/v1',
        resource,
        namespace,
        name,
      )}/${action}`,
      { body },
    );
  }

  /**
   * Asks KubeVirt to live-migrate the VMI `namespace/vmiName` to another node: creates
   * a VirtualMachineInstanceMigration (named `<vmi>-migration-<random>`) and returns it.
   */
  createMigration(
    namespace: string,
    vmiName: string,
  ): Promise<VirtualMachineInstanceMigrationObject> {
    return this.transport.request(
      `create virtualmachineinstancemigration for ${namespace}/${vmiName}`,
      'POST',
      collectionPath(
        'kubevirt.io/v1',
        'virtualmachineinstancemigrations',
        namespace,
      ),
      {
        body: {
          apiVersion: 'kubevirt.io/v1',
          kind: 'VirtualMachineInstanceMigration',
          metadata: { generateName: `${vmiName}-migration-`, namespace },
          spec: { vmiName },
        },
      },
    );
  }

  /**
   * Takes a snapshot of the VM `namespace/vmName`: creates a VirtualMachineSnapshot
   * (named `<vm>-snapshot-<random>`) and returns it; KubeVirt's snapshot controller
   * does the rest.
   */
  createSnapshot(
    namespace: string,
    vmName: string,
  ): Promise<VirtualMachineSnapshot> {
    return this.transport.request(
      `create virtualmachinesnapshot of ${namespace}/${vmName}`,
      'POST',
      collectionPath(SNAPSHOT_API, 'virtualmachinesnapshots', namespace),
      {
        body: {
          apiVersion: SNAPSHOT_API,
          kind: 'VirtualMachineSnapshot',
          metadata: { generateName: `${vmName}-snapshot-`, namespace },
          spec: {
            source: {
              apiGroup: 'kubevirt.io',
              kind: 'VirtualMachine',
              name: vmName,
            },
          },
        },
      },
    );
  }

  /** Deletes the VirtualMachineSnapshot `namespace/name` (KubeVirt deletes its content). */
  async deleteSnapshot(namespace: string, name: string): Promise<void> {
    await this.transport.request(
      `delete virtualmachinesnapshot ${namespace}/${name}`,
      'DELETE',
      objectPath(SNAPSHOT_API, 'virtualmachinesnapshots', namespace, name),
    );
  }

  /**
   * Restores the VM `namespace/vmName` from the snapshot `snapshotName`: creates a
   * VirtualMachineRestore (named `<vm>-restore-<random>`) and returns it.
   */
  createRestore(
    namespace: string,
    vmName: string,
    snapshotName: string,
  ): Promise<VirtualMachineRestore> {
    return this.transport.request(
      `create virtualmachinerestore of ${namespace}/${vmName}`,
      'POST',
      collectionPath(SNAPSHOT_API, 'virtualmachinerestores', namespace),
      {
        body: {
          apiVersion: SNAPSHOT_API,
          kind: 'VirtualMachineRestore',
          metadata: { generateName: `${vmName}-restore-`, namespace },
          spec: {
            target: {
              apiGroup: 'kubevirt.io',
              kind: 'VirtualMachine',
              name: vmName,
            },
            virtualMachineSnapshotName: snapshotName,
          },
        },
      },
    );
  }

  /**
   * Opens the VMI's serial console (`console`) or VNC display (`vnc`) through
   * KubeVirt's virt-api, with KubeVirt's `plain.kubevirt.io` subprotocol: binary
   * frames carry the raw bytes (terminal or RFB). KubeVirt answers 404 for no VMI and
   * 400 "VMI is not running"; a new serial connection ends the previous one.
   */
  openConsole(
    namespace: string,
    name: string,
    type: 'serial' | 'vnc',
  ): Promise<WebSocket> {
    const subresource = type === 'serial' ? 'console' : 'vnc';
    return this.transport.openWebSocket(
      `open ${subresource} of virtualmachineinstance ${namespace}/${name}`,
      `${objectPath(
        'subresources.kubevirt.io/v1',
        'virtualmachineinstances',
        namespace,
        name,
      )}/${subresource}`,
      'plain.kubevirt.io',
    );
  }

  /** Applies a JSON patch to the VirtualMachine `namespace/name` and returns the result. */
  patchVirtualMachine(
    namespace: string,
    name: string,
    patch: JsonPatchOperation[],
  ): Promise<VirtualMachine> {
    return this.transport.request(
      `patch virtualmachine ${namespace}/${name}`,
      'PATCH',
      objectPath('kubevirt.io/v1', 'virtualmachines', namespace, name),
      { body: patch, contentType: 'application/json-patch+json' },
    );
  }

  /**
   * Asks the apiserver to create `object` without persisting it
   * (`?dryRun=All&fieldValidation=Strict`): admission, schema validation and unknown
   * fields are checked as for a real create. Resolves with the object the apiserver
   * would store. Only kinds of API groups (custom resources such as VirtualMachine and
   * DataVolume) are supported. A refusal comes back as the mapped error type:
   * `KubernetesApiError` with statusCode 422 (invalid) or 409 (already exists),
   * `NotAllowedError` for 403 (RBAC or an exceeded quota).
   */
  async dryRunCreate(object: KubeObject): Promise<KubeObject> {
    const apiVersion = object.apiVersion ?? '';
    if (apiVersion.indexOf('/') <= 0 || !object.kind) {
      throw new TypeError(
        `dryRunCreate supports kinds of API groups only, not ${
          object.kind ?? '(no kind)'
        } ${apiVersion || '(no apiVersion)'}`,
      );
    }
    const namespace = object.metadata.namespace;
    const what = `dry-run create ${object.kind} ${
      namespace ? `${namespace}/` : ''
    }${object.metadata.name}`;
    const resource = (await this.discover(apiVersion)).get(object.kind);
    if (!resource) {
      throw new NotFoundError(
        `${what} on cluster '${this.cluster}': the cluster does not serve ${object.kind} in ${apiVersion}`,
      );
    }
    const path = resource.namespaced
      ? `/apis/${apiVersion}/namespaces/${encodeURIComponent(
          namespace ?? '',
        )}/${resource.name}`
      : `/apis/${apiVersion}/${resource.name}`;
    return this.transport.request(what, 'POST', path, {
      query: { dryRun: 'All', fieldValidation: 'Strict' },
      body: object,
    });
  }

  private discover(
    apiVersion: string,
  ): Promise<Map<string, DiscoveredResource>> {
    let kinds = this.discoveredKinds.get(apiVersion);
    if (!kinds) {
      kinds = this.transport
        .request<{ resources?: DiscoveredResource[] }>(
          `discover ${apiVersion}`,
          'GET',
          `/apis/${apiVersion}`,
        )
        .then(
          list =>
            new Map(
              (list.resources ?? [])
                .filter(r => !r.name.includes('/'))
                .map(r => [r.kind, r]),
            ),
        );
      kinds.catch(() => this.discoveredKinds.delete(apiVersion));
      this.discoveredKinds.set(apiVersion, kinds);
    }
    return kinds;
  }
}
