// Plan latency of kubevirt:vm:plan against real apiservers: by default 3 clusters, each
// with 50 namespaces that have a ResourceQuota and a LimitRange; N plans one after
// another (what one request form submission costs), printing one JSON line:
// {"p50":…,"p95":…,"n":…,"clusters":3,"namespaces":50}
//
//   node --import tsx plugins/scaffolder-backend-module-kubevirt/bench/planLatency.ts \
//     [--runs 300] [--clusters 3] [--namespaces 50]
//
// `npm run bench -- plan` runs it and records the result. KUBE_TESTENV_DIR reuses a
// control plane with enough clusters instead of starting one; VMPORTAL_BENCH_STATE_DIR
// is where a started one keeps its data (default: a temporary folder).
import { ConfigReader } from '@backstage/config';
import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  adminKubeConfig,
  applyObjects,
  readClusters,
  startControlPlane,
} from '@vmportal/kube-testenv';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { DefaultKubevirtClustersService } from '@vmportal/plugin-kubevirt-node';
import { createPlanVirtualMachineAction } from '../src/actions/planVirtualMachine';
import { VirtualMachineRequestAdmission } from '../src/lib/VirtualMachineRequestAdmission';

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '300' },
    clusters: { type: 'string', default: '3' },
    namespaces: { type: 'string', default: '50' },
  },
});

/** A flag's value as a whole number of at least 1, or the reason it is not one. */
function count(flag: 'runs' | 'clusters' | 'namespaces'): number {
  const value = Number(flags[flag]);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(
      `--${flag} must be a whole number of at least 1, not '${flags[flag]}'`,
    );
  }
  return value;
}

const RUNS = count('runs');
const NAMESPACES = count('namespaces');
const CLUSTERS = count('clusters');
const SIZES = ['u1.small', 'u1.medium', 'u1.large', 'o1.large', 'cx1.medium'];

const logger: LoggerService = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  child() {
    return logger;
  },
};

function percentile(sorted: number[], p: number): number {
  return sorted[
    Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  ];
}

async function main() {
  let dir = process.env.KUBE_TESTENV_DIR;
  let stop = async () => {};
  if (!dir) {
    const parent = process.env.VMPORTAL_BENCH_STATE_DIR ?? tmpdir();
    mkdirSync(parent, { recursive: true });
    dir = mkdtempSync(join(parent, 'plan-bench-'));
    const plane = await startControlPlane({
      dir,
      clusters: CLUSTERS,
      simulator: false,
      log: line => process.stderr.write(`[bench] ${line}\n`),
    });
    const owned = dir;
    stop = async () => {
      await plane.stop();
      rmSync(owned, { recursive: true, force: true });
    };
  }
  try {
    const clusters = readClusters(dir).slice(0, CLUSTERS);
    if (clusters.length < CLUSTERS) {
      throw new Error(
        `${dir} has ${clusters.length} clusters; the bench needs ${CLUSTERS}`,
      );
    }
    const names = Array.from(
      { length: NAMESPACES },
      (_, i) => `bench-team-${i}`,
    );
    const t = Date.now();
    await Promise.all(
      clusters.map(cluster =>
        applyObjects(
          adminKubeConfig(cluster),
          names.flatMap(
            namespace =>
              [
                {
                  apiVersion: 'v1',
                  kind: 'Namespace',
                  metadata: {
                    name: namespace,
                    labels: { 'vmportal.io/owner': namespace },
                  },
                },
                {
                  apiVersion: 'v1',
                  kind: 'ResourceQuota',
                  metadata: { name: 'team-quota', namespace },
                  spec: {
                    hard: {
                      'requests.cpu': '16',
                      'requests.memory': '64Gi',
                      'requests.storage': '1Ti',
                      'count/virtualmachines.kubevirt.io': '20',
                      pods: '40',
                    },
                  },
                },
                {
                  apiVersion: 'v1',
                  kind: 'LimitRange',
                  metadata: { name: 'container-defaults', namespace },
                  spec: {
                    limits: [
                      {
                        type: 'Container',
                        defaultRequest: { cpu: '100m', memory: '128Mi' },
                      },
                    ],
                  },
                },
              ] as Parameters<typeof applyObjects>[1],
          ),
          'plan-bench',
        ),
      ),
    );
    process.stderr.write(
      `[bench] seeded ${CLUSTERS} × ${NAMESPACES} namespaces in ${
        Date.now() - t
      } ms\n`,
    );

    const config = new ConfigReader({
      kubernetes: {
        clusterLocatorMethods: [
          {
            type: 'config',
            clusters: clusters.map((c, i) => ({
              name: `bench-${i}`,
              url: c.url,
              authProvider: 'serviceAccount',
              serviceAccountToken: c.readerToken,
              caData: c.caData,
            })),
          },
        ],
      },
    });
    // Each bench namespace is owned by the group of its name, and the requester is in
    // all of them (an in-memory catalog: the figure is the cluster's part).
    const groups = names.map(name => `group:default/${name}`);
    const action = createPlanVirtualMachineAction({
      clusters: DefaultKubevirtClustersService.fromConfig(config, { logger }),
      admission: VirtualMachineRequestAdmission.fromConfig(config, {
        catalog: catalogServiceMock({
          entities: names.map(name => ({
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Group',
            metadata: { name, namespace: 'default' },
            spec: { type: 'team', children: [] },
          })),
        }),
        userInfo: mockServices.userInfo({ ownershipEntityRefs: groups }),
        permissions: mockServices.permissions(),
      }),
    });
    const plan = async (i: number) => {
      const namespace = names[Math.floor(i / CLUSTERS) % NAMESPACES];
      const input = {
        cluster: `bench-${i % CLUSTERS}`,
        namespace,
        name: `vm-${i}`,
        owner: `group:default/${namespace}`,
        size: { instancetype: { name: SIZES[i % SIZES.length] } },
        image: {
          registry: { url: 'docker://quay.io/containerdisks/fedora:41' },
          size: '30Gi',
          storageClass: 'standard',
        },
        disks: [{ name: 'data', size: '50Gi', storageClass: 'standard' }],
      };
      const started = process.hrtime.bigint();
      await action.handler({
        input,
        logger,
        output() {},
        workspacePath: tmpdir(),
        createTemporaryDirectory: async () => tmpdir(),
        checkpoint: async (opts: { fn: () => Promise<unknown> }) => opts.fn(),
        getInitiatorCredentials: async () => ({
          $$type: '@backstage/BackstageCredentials',
          principal: { type: 'user', userEntityRef: 'user:default/bench' },
        }),
        task: { id: 'bench' },
      } as never);
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    for (let i = 0; i < 10; i++) await plan(i); // warm-up: connections, discovery
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) times.push(await plan(i));
    times.sort((a, b) => a - b);
    process.stdout.write(
      `${JSON.stringify({
        p50: Math.round(percentile(times, 50) * 10) / 10,
        p95: Math.round(percentile(times, 95) * 10) / 10,
        n: RUNS,
        clusters: CLUSTERS,
        namespaces: NAMESPACES,
      })}\n`,
    );
  } finally {
    await stop();
  }
}

main().catch(error => {
  process.stderr.write(
    `plan bench failed: ${error instanceof Error ? error.stack : error}\n`,
  );
  process.exit(1);
});
