import type {
  VirtualMachineRestore,
  VirtualMachineSnapshot,
  VirtualMachineSnapshotContent,
} from '@vmportal/plugin-kubevirt-common';
import { dirname, join } from 'node:path';
import {
  CoreV1Api,
  CustomObjectsApi,
  KubernetesListObject,
  KubernetesObject,
  V1PersistentVolumeClaim,
  V1Pod,
  V1ResourceQuota,
} from '@kubernetes/client-node';
import type {
  DataVolumeObject,
  KubeVirtConfigurationLike,
  VirtualMachineInstanceObject,
} from '@vmportal/plugin-kubevirt-common';
import type { ClusterInfo } from '../ControlPlane';
import { describeError, errorStatus, kubeConfigFor } from '../kubeClient';
import {
  AaqObject,
  ApplicationAwareQuotaController,
  ApplicationAwareResourceQuotaObject,
  isAaqGated,
} from './ApplicationAwareQuotaController';
import { CdiImporter } from './CdiImporter';
import { hasCondition } from './conditions';
import {
  cronOf,
  DataImportCron,
  DataImportCronController,
} from './DataImportCronController';
import {
  DataSource,
  DataSourceController,
  dataSourcesReferencing,
  usesDataSource,
} from './DataSourceController';
import { EventRecorder } from './EventRecorder';
import { FakeKubelet } from './FakeKubelet';
import { ensureFakeNodes } from './FakeNodes';
import { FakeScheduler } from './FakeScheduler';
import { GuestConsoles } from './GuestConsoles';
import { LauncherPodOracle } from './LauncherPodOracle';
import {
  isUnfinished,
  Migration,
  MIGRATION_JOB_LABEL,
  MigrationController,
} from './MigrationController';
import { PowerActions } from './PowerActions';
import { isFinal } from './printableStatus';
import {
  AAQS,
  APPLICATION_AWARE_RESOURCE_QUOTAS,
  DATA_IMPORT_CRONS,
  DATA_SOURCES,
  DATA_VOLUMES,
  KUBEVIRTS,
  KUBEVIRT_POD_SELECTOR,
  VIRTUAL_MACHINE_INSTANCE_MIGRATIONS,
  VIRTUAL_MACHINE_INSTANCES,
  VIRTUAL_MACHINES,
} from './resources';
import { ResourceWatcher } from './ResourceWatcher';
import { SimulatorLease } from './SimulatorLease';
import { StartRevisions } from './StartRevisions';
import {
  DEFAULT_TIMING,
  SimulatorContext,
  SimulatorTiming,
} from './SimulatorContext';
import {
  registerSubresourceApi,
  SubresourceServer,
  waitForSubresourceApi,
} from './SubresourceServer';
import { controllerOf, VirtualMachine } from './types';
import { VirtHandler } from './VirtHandler';
import { VirtualMachineInstanceReconciler } from './VirtualMachineInstanceReconciler';
import { VirtualMachineReconciler } from './VirtualMachineReconciler';
import {
  VIRTUAL_MACHINE_RESTORES,
  VirtualMachineRestoreController,
} from './VirtualMachineRestoreController';
import {
  VIRTUAL_MACHINE_SNAPSHOT_CONTENTS,
  VIRTUAL_MACHINE_SNAPSHOTS,
  VirtualMachineSnapshotController,
} from './VirtualMachineSnapshotController';
import { ReconcileResult, WorkQueue } from './WorkQueue';

/** Options of {@link KubevirtSimulator.start}. */
export interface KubevirtSimulatorOptions {
  cluster: ClusterInfo;
  /** The `oracle` binary (KubeVirt's launcher-pod rendering). */
  oraclePath: string;
  log: (line: string) => void;
  /** Overrides of how long simulated steps take. */
  timing?: Partial<SimulatorTiming>;
  /** How long to wait for the aggregated subresource API to become Available. Default 60 s. */
  apiServiceTimeoutMs?: number;
}

/** `aaq` is a namespace (Application Aware Quota's controllers work per namespace). */
type Kind =
  | 'vm'
  | 'vmi'
  | 'vmim'
  | 'pod'
  | 'dv'
  | 'aaq'
  | 'dic'
  | 'ds'
  | 'vmsnapshot'
  | 'vmsnapshotcontent'
  | 'vmrestore'
  /** A VM's `status.volumeSnapshotStatuses`. */
  | 'vmvolumesnapshots';

/** Everything re-examined at this interval, in case a watch event was missed. */
const RESYNC_MS = 30_000;

/**
 * The KubeVirt simulator of one cluster: simulated nodes, a scheduler and
 * kubelets, virt-controller (VM and VMI controllers), virt-handler, CDI's
 * importer and virt-api's power subresources, all acting on the cluster's real
 * apiserver so that its admission (ResourceQuota, LimitRange, RBAC) and the
 * controller-manager's quota accounting see what KubeVirt would create.
 */
export class KubevirtSimulator {
  private resyncTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly queue: WorkQueue,
    private readonly watchers: Array<ResourceWatcher<KubernetesObject>>,
    private readonly server: SubresourceServer,
    private readonly oracle: LauncherPodOracle,
    private readonly lease: SimulatorLease,
    private readonly log: (line: string) => void,
  ) {}

  /** Starts the simulator; resolves once it watches everything and the subresource API is registered. */
  static async start(
    options: KubevirtSimulatorOptions,
  ): Promise<KubevirtSimulator> {
    const { cluster } = options;
    const log = (line: string) => options.log(`[${cluster.name}] ${line}`);
    const kc = kubeConfigFor(cluster, 'kubevirt-simulator');
    const core = kc.makeApiClient(CoreV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const oracle = new LauncherPodOracle(options.oraclePath, log);
    const timing = { ...DEFAULT_TIMING, ...options.timing };
    oracle.warmUp();

    const lease = new SimulatorLease(kc, log);
    await lease.acquire();
    try {
      await ensureFakeNodes(core);
    } catch (error) {
      await lease.release();
      throw error;
    }

    const consoles = new GuestConsoles({ core, custom, log });
    const dispatch: {
      run?: (
        kind: Kind,
        namespace: string,
        name: string,
      ) => Promise<ReconcileResult | void>;
    } = {};
    const queue = new WorkQueue(
      async key => {
        const [kind, namespace, name] = key.split('|') as [
          Kind,
          string,
          string,
        ];
        try {
          return await dispatch.run!(kind, namespace, name);
        } catch (error) {
          // Optimistic concurrency at work (another simulated component wrote first): not worth a log line.
          if (errorStatus(error) === 409) return { retryWithBackoff: true };
          throw error;
        }
      },
      {
        onError: (key, error, retryInMs) => {
          const [kind, namespace, name] = key.split('|');
          log(
            `${kind} ${namespace}/${name}: ${describeError(
              error,
            )} (retrying in ${retryInMs} ms)`,
          );
        },
      },
    );
    const enqueue = (
      kind: Kind,
      namespace: string | undefined,
      name: string | undefined,
    ) => {
      if (namespace && name) queue.add(`${kind}|${namespace}|${name}`);
    };

    const watch = <T extends KubernetesObject>(
      what: string,
      path: string,
      list: () => Promise<unknown>,
      onChange: (object: T, event: 'add' | 'update' | 'delete') => void,
      labelSelector?: string,
    ) =>
      new ResourceWatcher<T>(kc, {
        what,
        path,
        list: list as () => Promise<KubernetesListObject<T>>,
        labelSelector,
        onChange,
        log,
      });

    const vms = watch<VirtualMachine & KubernetesObject>(
      'VirtualMachines',
      '/apis/kubevirt.io/v1/virtualmachines',
      () => custom.listClusterCustomObject({ ...VIRTUAL_MACHINES }),
      vm => {
        enqueue('vm', vm.metadata.namespace, vm.metadata.name);
        enqueue('vmvolumesnapshots', vm.metadata.namespace, vm.metadata.name);
        snapshotsAndRestoresOf(vm.metadata.namespace, vm.metadata.name);
      },
    );
    const vmis = watch<VirtualMachineInstanceObject & KubernetesObject>(
      'VirtualMachineInstances',
      '/apis/kubevirt.io/v1/virtualmachineinstances',
      () => custom.listClusterCustomObject({ ...VIRTUAL_MACHINE_INSTANCES }),
      (vmi, event) => {
        enqueue('vmi', vmi.metadata.namespace, vmi.metadata.name);
        consoles.vmiChanged(vmi, event === 'delete');
        const owner = controllerOf(vmi);
        if (owner?.kind === 'VirtualMachine')
          enqueue('vm', vmi.metadata.namespace, owner.name);
        migrationsOf(vmi.metadata.namespace, vmi.metadata.name);
        snapshotsAndRestoresOf(vmi.metadata.namespace, vmi.metadata.name);
      },
    );
    const migrations = watch<Migration & KubernetesObject>(
      'VirtualMachineInstanceMigrations',
      '/apis/kubevirt.io/v1/virtualmachineinstancemigrations',
      () =>
        custom.listClusterCustomObject({
          ...VIRTUAL_MACHINE_INSTANCE_MIGRATIONS,
        }),
      migration => {
        enqueue('vmim', migration.metadata.namespace, migration.metadata.name);
        enqueue('vmi', migration.metadata.namespace, migration.spec.vmiName);
      },
    );
    const snapshots = watch<VirtualMachineSnapshot & KubernetesObject>(
      'VirtualMachineSnapshots',
      '/apis/snapshot.kubevirt.io/v1beta1/virtualmachinesnapshots',
      () => custom.listClusterCustomObject({ ...VIRTUAL_MACHINE_SNAPSHOTS }),
      snapshot =>
        enqueue(
          'vmsnapshot',
          snapshot.metadata.namespace,
          snapshot.metadata.name,
        ),
    );
    const snapshotContents = watch<
      VirtualMachineSnapshotContent & KubernetesObject
    >(
      'VirtualMachineSnapshotContents',
      '/apis/snapshot.kubevirt.io/v1beta1/virtualmachinesnapshotcontents',
      () =>
        custom.listClusterCustomObject({
          ...VIRTUAL_MACHINE_SNAPSHOT_CONTENTS,
        }),
      content => {
        const namespace = content.metadata.namespace;
        enqueue('vmsnapshotcontent', namespace, content.metadata.name);
        enqueue(
          'vmsnapshot',
          namespace,
          content.spec.virtualMachineSnapshotName,
        );
      },
    );
    const restores = watch<VirtualMachineRestore & KubernetesObject>(
      'VirtualMachineRestores',
      '/apis/snapshot.kubevirt.io/v1beta1/virtualmachinerestores',
      () => custom.listClusterCustomObject({ ...VIRTUAL_MACHINE_RESTORES }),
      restore =>
        enqueue('vmrestore', restore.metadata.namespace, restore.metadata.name),
    );
    /** The snapshot and restore controllers' VM and VMI handlers: their snapshots and restores look again. */
    function snapshotsAndRestoresOf(
      namespace: string | undefined,
      vmName: string | undefined,
    ) {
      for (const snapshot of snapshots.list(namespace)) {
        if (snapshot.spec.source.name === vmName)
          enqueue('vmsnapshot', namespace, snapshot.metadata.name);
      }
      for (const restore of restores.list(namespace)) {
        if (restore.spec.target.name === vmName)
          enqueue('vmrestore', namespace, restore.metadata.name);
      }
    }
    /** The unfinished migrations of a VMI look again. */
    function migrationsOf(
      namespace: string | undefined,
      vmiName: string | undefined,
    ) {
      for (const migration of migrations.list(namespace)) {
        if (migration.spec.vmiName === vmiName && isUnfinished(migration))
          enqueue('vmim', namespace, migration.metadata.name);
      }
    }
    // Application Aware Quota: its quotas and its CR (whose namespaceSelector says which
    // namespaces' pods it gates).
    const arqs = watch<ApplicationAwareResourceQuotaObject & KubernetesObject>(
      'ApplicationAwareResourceQuotas',
      '/apis/aaq.kubevirt.io/v1alpha1/applicationawareresourcequotas',
      () =>
        custom.listClusterCustomObject({
          ...APPLICATION_AWARE_RESOURCE_QUOTAS,
        }),
      arq => enqueue('aaq', arq.metadata.namespace, arq.metadata.namespace),
    );
    const kubelet = new FakeKubelet(core, timing, log);
    const pods = watch<V1Pod>(
      'launcher and attachment pods',
      '/api/v1/pods',
      () =>
        core.listPodForAllNamespaces({ labelSelector: KUBEVIRT_POD_SELECTOR }),
      (pod, event) => {
        enqueue('pod', pod.metadata?.namespace, pod.metadata?.name);
        const namespace = pod.metadata?.namespace;
        // AAQ counts pods, and gates them: its controllers look again.
        if (isAaqGated(pod) || (namespace && arqs.list(namespace).length > 0))
          enqueue('aaq', namespace, namespace);
        const owner = controllerOf(pod);
        if (owner?.kind === 'VirtualMachineInstance') {
          enqueue('vmi', pod.metadata?.namespace, owner.name);
          if (pod.metadata?.labels?.[MIGRATION_JOB_LABEL])
            migrationsOf(namespace, owner.name);
        }
        // A hot-plug attachment pod belongs to a launcher pod, which belongs to the VMI.
        if (owner?.kind === 'Pod') {
          const launcher = pods.get(owner.name, namespace);
          const vmi = launcher && controllerOf(launcher);
          if (vmi?.kind === 'VirtualMachineInstance')
            enqueue('vmi', namespace, vmi.name);
        }
        if (event === 'delete') {
          kubelet.forget(pod);
          // Room was freed: pods waiting for a node get another chance.
          for (const waiting of pods.list()) {
            if (!waiting.spec?.nodeName)
              enqueue(
                'pod',
                waiting.metadata?.namespace,
                waiting.metadata?.name,
              );
          }
        }
      },
      KUBEVIRT_POD_SELECTOR,
    );
    /** Namespaces AAQ's controllers have work in: ARQs, or pods behind AAQ's gate. */
    const aaqNamespaces = () =>
      new Set([
        ...arqs.list().map(arq => arq.metadata.namespace!),
        ...pods
          .list()
          .filter(isAaqGated)
          .map(pod => pod.metadata!.namespace!),
      ]);
    const aaqs = watch<AaqObject & KubernetesObject>(
      'AAQ',
      '/apis/aaq.kubevirt.io/v1alpha1/aaqs',
      () => custom.listClusterCustomObject({ ...AAQS }),
      () => {
        for (const namespace of aaqNamespaces())
          enqueue('aaq', namespace, namespace);
      },
    );
    const referencing = (
      namespace: string | undefined,
      claimName: string | undefined,
    ) => {
      if (!namespace || !claimName) return;
      const uses = (volumes: VirtualMachineInstanceObject['spec']['volumes']) =>
        (volumes ?? []).some(
          v =>
            v.dataVolume?.name === claimName ||
            v.persistentVolumeClaim?.claimName === claimName,
        );
      for (const vm of vms.list(namespace)) {
        if (uses(vm.spec.template.spec.volumes)) {
          enqueue('vm', namespace, vm.metadata.name);
          enqueue('vmvolumesnapshots', namespace, vm.metadata.name);
        }
      }
      for (const vmi of vmis.list(namespace)) {
        if (uses(vmi.spec.volumes))
          enqueue('vmi', namespace, vmi.metadata.name);
      }
    };
    const dvs = watch<DataVolumeObject & KubernetesObject>(
      'DataVolumes',
      '/apis/cdi.kubevirt.io/v1beta1/datavolumes',
      () => custom.listClusterCustomObject({ ...DATA_VOLUMES }),
      dv => {
        enqueue('dv', dv.metadata.namespace, dv.metadata.name);
        const owner = controllerOf(dv);
        if (owner?.kind === 'VirtualMachine')
          enqueue('vm', dv.metadata.namespace, owner.name);
        referencing(dv.metadata.namespace, dv.metadata.name);
        enqueue('dic', dv.metadata.namespace, cronOf(dv));
        goldenImageSourceChanged(dv.metadata.namespace, dv.metadata.name);
      },
    );
    // CDI's StorageClass watch: DataVolumes that could not render a claim (no phase
    // yet) try again when a StorageClass appears or changes.
    const storageClasses = watch<KubernetesObject>(
      'StorageClasses',
      '/apis/storage.k8s.io/v1/storageclasses',
      () =>
        custom.listClusterCustomObject({
          group: 'storage.k8s.io',
          version: 'v1',
          plural: 'storageclasses',
        }),
      () => {
        for (const dv of dvs.list()) {
          if (!dv.status?.phase)
            enqueue('dv', dv.metadata.namespace, dv.metadata.name);
        }
      },
    );
    const pvcs = watch<V1PersistentVolumeClaim>(
      'PersistentVolumeClaims',
      '/api/v1/persistentvolumeclaims',
      () => core.listPersistentVolumeClaimForAllNamespaces(),
      (pvc, event) => {
        const owner = controllerOf(pvc);
        if (owner?.kind === 'DataVolume')
          enqueue('dv', pvc.metadata?.namespace, owner.name);
        referencing(pvc.metadata?.namespace, pvc.metadata?.name);
        if (event === 'delete')
          enqueue('dic', pvc.metadata?.namespace, cronOf(pvc));
        goldenImageSourceChanged(pvc.metadata?.namespace, pvc.metadata?.name);
      },
    );
    // CDI's golden images: DataImportCrons import them, DataSources name them.
    const crons = watch<DataImportCron & KubernetesObject>(
      'DataImportCrons',
      '/apis/cdi.kubevirt.io/v1beta1/dataimportcrons',
      () => custom.listClusterCustomObject({ ...DATA_IMPORT_CRONS }),
      cron => enqueue('dic', cron.metadata.namespace, cron.metadata.name),
    );
    const dataSources = watch<DataSource & KubernetesObject>(
      'DataSources',
      '/apis/cdi.kubevirt.io/v1beta1/datasources',
      () => custom.listClusterCustomObject({ ...DATA_SOURCES }),
      ds => {
        const namespace = ds.metadata.namespace;
        enqueue('ds', namespace, ds.metadata.name);
        enqueue('dic', namespace, cronOf(ds));
        goldenImageSourceChanged(namespace, ds.metadata.name);
        // Clones waiting for this DataSource's source.
        for (const dv of dvs.list()) {
          if (usesDataSource(dv.spec, dv.metadata.namespace, ds))
            enqueue('dv', dv.metadata.namespace, dv.metadata.name);
        }
        for (const vm of vms.list()) {
          const templates = vm.spec.dataVolumeTemplates ?? [];
          if (
            templates.some(t =>
              usesDataSource(t.spec, vm.metadata.namespace, ds),
            )
          )
            enqueue('vm', vm.metadata.namespace, vm.metadata.name);
        }
      },
    );
    /** DataSources whose source is the PVC, DataVolume or DataSource `namespace/name`. */
    function goldenImageSourceChanged(
      namespace: string | undefined,
      name: string | undefined,
    ) {
      const list = dataSources.list();
      for (const ds of dataSourcesReferencing(list, namespace, name))
        enqueue('ds', ds.metadata.namespace, ds.metadata.name);
    }
    const quotas = watch<V1ResourceQuota>(
      'ResourceQuotas',
      '/api/v1/resourcequotas',
      () => core.listResourceQuotaForAllNamespaces(),
      quota => {
        const namespace = quota.metadata?.namespace;
        // AAQ reads the usage Kubernetes counts in the quotas it keeps beside its ARQs.
        if (namespace && arqs.list(namespace).length > 0)
          enqueue('aaq', namespace, namespace);
        // A raised quota may let a refused launcher pod in: retry the VMIs still waiting for one.
        for (const vmi of vmis.list(quota.metadata?.namespace)) {
          if (!vmi.status?.phase || vmi.status.phase === 'Pending')
            enqueue('vmi', vmi.metadata.namespace, vmi.metadata.name);
        }
        // ... and the migrations whose target pod it refused.
        for (const migration of migrations.list(namespace)) {
          if (migration.status?.phase === 'Pending')
            enqueue('vmim', namespace, migration.metadata.name);
        }
      },
    );

    let kubevirtCr:
      | {
          at: number;
          value:
            | {
                configuration?: KubeVirtConfigurationLike;
                workloadUpdateMethods: string[];
              }
            | undefined;
        }
      | undefined;
    const kubevirt = async () => {
      if (kubevirtCr && Date.now() - kubevirtCr.at < 5000)
        return kubevirtCr.value;
      let value: NonNullable<typeof kubevirtCr>['value'];
      try {
        const list = (await custom.listClusterCustomObject({
          ...KUBEVIRTS,
        })) as {
          items?: Array<{
            spec?: {
              configuration?: KubeVirtConfigurationLike;
              workloadUpdateStrategy?: { workloadUpdateMethods?: string[] };
            };
          }>;
        };
        const spec = list.items?.[0]?.spec;
        value = list.items?.[0]
          ? {
              configuration: spec?.configuration,
              workloadUpdateMethods:
                spec?.workloadUpdateStrategy?.workloadUpdateMethods ?? [],
            }
          : undefined;
      } catch {
        value = undefined;
      }
      kubevirtCr = { at: Date.now(), value };
      return value;
    };
    const ctx: SimulatorContext = {
      cluster: cluster.name,
      core,
      custom,
      events: new EventRecorder(core, log),
      oracle,
      timing,
      log,
      caches: {
        virtualMachines: namespace => vms.list(namespace),
        virtualMachineInstances: namespace => vmis.list(namespace),
        dataVolume: (namespace, name) => dvs.get(name, namespace),
        pvc: (namespace, name) => pvcs.get(name, namespace),
        resourceQuotas: namespace => quotas.list(namespace),
        aaq: () => aaqs.list()[0],
        migrations: namespace => migrations.list(namespace),
      },
      kubevirtConfiguration: async () => (await kubevirt())?.configuration,
      workloadUpdateMethods: async () =>
        (await kubevirt())?.workloadUpdateMethods,
    };

    const handler = new VirtHandler(ctx);
    const vmController = new VirtualMachineReconciler(ctx);
    const migrationController = new MigrationController(ctx, kubelet);
    const vmiController = new VirtualMachineInstanceReconciler(
      ctx,
      handler,
      migrationController,
    );
    const scheduler = new FakeScheduler(core, ctx.events, log);
    const cdi = new CdiImporter(ctx);
    const cronController = new DataImportCronController(ctx);
    const dataSourceController = new DataSourceController(ctx);
    const aaqController = new ApplicationAwareQuotaController(
      ctx,
      ctx.caches.aaq,
    );
    const powerActions = new PowerActions(ctx, handler);
    const snapshotController = new VirtualMachineSnapshotController(
      ctx,
      new StartRevisions(ctx),
    );
    const restoreController = new VirtualMachineRestoreController(
      ctx,
      powerActions,
    );
    dispatch.run = async (kind, namespace, name) => {
      switch (kind) {
        case 'vm':
          return vmController.reconcile(namespace, name);
        case 'vmi':
          return vmiController.reconcile(namespace, name);
        case 'vmim':
          return migrationController.reconcile(namespace, name);
        case 'dv':
          return cdi.reconcile(namespace, name);
        case 'dic':
          return cronController.reconcile(namespace, name);
        case 'ds':
          return dataSourceController.reconcile(namespace, name);
        case 'aaq':
          return aaqController.reconcile(namespace);
        case 'vmsnapshot':
          return snapshotController.reconcileSnapshot(namespace, name);
        case 'vmsnapshotcontent':
          return snapshotController.reconcileContent(namespace, name);
        case 'vmrestore':
          return restoreController.reconcile(namespace, name);
        case 'vmvolumesnapshots':
          return snapshotController.reconcileVolumeSnapshotStatuses(
            namespace,
            name,
          );
        case 'pod': {
          const scheduled = await scheduler.schedule(namespace, name);
          const synced = await kubelet.sync(namespace, name);
          const waits = [
            scheduled?.requeueAfterMs,
            synced?.requeueAfterMs,
          ].filter((ms): ms is number => ms !== undefined);
          return waits.length
            ? { requeueAfterMs: Math.min(...waits) }
            : undefined;
        }
        default:
          return undefined;
      }
    };

    const watchers = [
      vms,
      vmis,
      migrations,
      arqs,
      aaqs,
      pods,
      dvs,
      storageClasses,
      pvcs,
      crons,
      dataSources,
      quotas,
      snapshots,
      snapshotContents,
      restores,
    ] as Array<ResourceWatcher<KubernetesObject>>;
    const server = new SubresourceServer({
      pkiDir: join(dirname(cluster.kubeconfigPath), 'pki'),
      actions: powerActions,
      consoles,
      log,
    });
    const simulator = new KubevirtSimulator(
      queue,
      watchers,
      server,
      oracle,
      lease,
      log,
    );
    try {
      await Promise.all(watchers.map(w => w.start()));
      const port = await server.listen();
      await registerSubresourceApi(
        kc,
        join(dirname(cluster.kubeconfigPath), 'pki'),
        port,
      );
      try {
        await waitForSubresourceApi(
          kc,
          server,
          options.apiServiceTimeoutMs ?? 60_000,
        );
        log(
          `subresource API subresources.kubevirt.io/v1 available through the apiserver (port ${port})`,
        );
      } catch (error) {
        log(
          `subresource API NOT available through the apiserver: ${describeError(
            error,
          )}; ` + `power actions only work by patching spec.runStrategy`,
        );
      }
    } catch (error) {
      await simulator.stop();
      throw error;
    }

    simulator.resyncTimer = setInterval(() => {
      for (const vm of vms.list())
        enqueue('vm', vm.metadata.namespace, vm.metadata.name);
      for (const vmi of vmis.list()) {
        if (!isFinal(vmi) || vmi.metadata.finalizers?.length)
          enqueue('vmi', vmi.metadata.namespace, vmi.metadata.name);
      }
      for (const migration of migrations.list()) {
        if (isUnfinished(migration))
          enqueue(
            'vmim',
            migration.metadata.namespace,
            migration.metadata.name,
          );
      }
      for (const pod of pods.list())
        enqueue('pod', pod.metadata?.namespace, pod.metadata?.name);
      for (const dv of dvs.list()) {
        if (dv.status?.phase !== 'Succeeded')
          enqueue('dv', dv.metadata.namespace, dv.metadata.name);
      }
      for (const namespace of aaqNamespaces())
        enqueue('aaq', namespace, namespace);
      for (const cron of crons.list()) {
        if (!hasCondition(cron.status?.conditions, 'UpToDate', 'True'))
          enqueue('dic', cron.metadata.namespace, cron.metadata.name);
      }
      for (const ds of dataSources.list()) {
        if (!hasCondition(ds.status?.conditions, 'Ready', 'True'))
          enqueue('ds', ds.metadata.namespace, ds.metadata.name);
      }
      for (const snapshot of snapshots.list()) {
        const phase = snapshot.status?.phase;
        if (phase !== 'Succeeded' && phase !== 'Failed')
          enqueue(
            'vmsnapshot',
            snapshot.metadata.namespace,
            snapshot.metadata.name,
          );
      }
      for (const restore of restores.list()) {
        if (!restore.status?.complete)
          enqueue(
            'vmrestore',
            restore.metadata.namespace,
            restore.metadata.name,
          );
      }
    }, RESYNC_MS);
    simulator.resyncTimer.unref();
    log(`KubeVirt simulator running (nodes sim-node-1..3)`);
    return simulator;
  }

  /** Ends the watches, the work queue, the HTTPS server and the oracle process. */
  async stop(): Promise<void> {
    clearInterval(this.resyncTimer);
    await Promise.all(this.watchers.map(w => w.stop().catch(() => undefined)));
    // The oracle first: a reconcile waiting for it then fails at once instead of holding up the queue.
    await this.oracle.stop();
    await this.queue.stop();
    await this.server.close();
    await this.lease.release();
    this.log('KubeVirt simulator stopped');
  }
}
