import { mockCredentials } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import {
  ClusterInfo,
  kubeConfigFor,
  kubeRequest,
  waitUntil,
} from '@vmportal/kube-testenv';
import { KUBEVIRT_ENTITY_LABELS } from '@vmportal/plugin-kubevirt-common';
import { seconds } from '../lib/stats';
import { oursView } from './changes';
import { BenchVm, OWNER_LABEL, vmCollectionPath } from './virtualMachines';

/** What {@link measureBurst} found. */
export interface BurstFigures {
  vmsChanged: number;
  /** How long the apiservers took to accept every change. */
  writeSeconds: number;
  /** From the first write until the catalog showed every change. */
  allVisibleSeconds: number;
  /** An owner change made right after the burst, until the catalog showed it. */
  ownerChangeBehindBurstSeconds: number;
}

const BURST_RUN_STRATEGY = 'RerunOnFailure';

function patch(cluster: ClusterInfo, vm: BenchVm, body: object) {
  return kubeRequest(
    kubeConfigFor(cluster),
    'PATCH',
    `${vmCollectionPath(vm.namespace)}/${vm.name}`,
    body,
    'application/merge-patch+json',
  );
}

/**
 * What a status in the entity would cost: every VM changes at once (as when a node
 * drain or an upgrade restarts them all), each a catalog write; an owner change made
 * right then waits behind them. (The run strategy stands in for the status: it is
 * mapped into the entity, the status deliberately is not.)
 */
export async function measureBurst(options: {
  vms: BenchVm[];
  clusters: ClusterInfo[];
  catalogUrl: string;
  concurrency: number;
  timeoutMs: number;
}): Promise<BurstFigures> {
  const clusters = new Map(options.clusters.map(c => [c.name, c]));
  const targets = options.vms.filter(vm => vm.exists);
  const t0 = Date.now();
  let next = 0;
  await Promise.all(
    Array.from(
      { length: options.concurrency * options.clusters.length },
      async () => {
        while (next < targets.length) {
          const vm = targets[next++];
          await patch(clusters.get(vm.cluster)!, vm, {
            spec: { runStrategy: BURST_RUN_STRATEGY },
          });
          vm.runStrategy = BURST_RUN_STRATEGY;
        }
      },
    ),
  );
  const written = Date.now();

  const last = targets[targets.length - 1];
  last.owner = 'after-burst';
  const ownerPatchedAt = Date.now();
  await patch(clusters.get(last.cluster)!, last, {
    metadata: { labels: { [OWNER_LABEL]: last.owner } },
  });
  const headers = { Authorization: mockCredentials.user.header() };
  await waitUntil(
    'the owner change behind the burst',
    options.timeoutMs,
    async () => {
      const response = await fetch(
        `${
          options.catalogUrl
        }/api/catalog/entities/by-name/component/default/${encodeURIComponent(
          oursView.entityName(last),
        )}`,
        { headers },
      );
      const entity = response.ok
        ? ((await response.json()) as Entity)
        : undefined;
      return entity?.spec?.owner === 'group:default/after-burst'
        ? true
        : undefined;
    },
  );
  const ownerSeen = Date.now();

  // One count every 2 s (totalItems is a count query; cheap enough at this size).
  const filter = `kind=component,metadata.labels.${KUBEVIRT_ENTITY_LABELS.runStrategy}=${BURST_RUN_STRATEGY}`;
  await waitUntil(
    'every burst change in the catalog',
    options.timeoutMs,
    async () => {
      const response = await fetch(
        `${
          options.catalogUrl
        }/api/catalog/entities/by-query?filter=${encodeURIComponent(
          filter,
        )}&limit=1`,
        { headers },
      );
      const { totalItems } = (await response.json()) as { totalItems: number };
      return totalItems >= targets.length ? true : undefined;
    },
    2000,
  );
  return {
    vmsChanged: targets.length,
    writeSeconds: seconds(written - t0),
    allVisibleSeconds: seconds(Date.now() - t0),
    ownerChangeBehindBurstSeconds: seconds(ownerSeen - ownerPatchedAt),
  };
}
