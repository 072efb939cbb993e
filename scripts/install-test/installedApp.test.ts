// What a platform engineer checks after installing VM Portal into a fresh Backstage app
// by its READMEs (scripts/install-test/installTest.ts made and started the app): VMs in
// its catalog, the VM page's API, the scaffolder's actions and the request template up
// to the pull request, and the "Virtual machine" tab in chromium.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  kubeConfigFor,
  kubeRequest,
  readClusters,
} from '@vmportal/kube-testenv';
import {
  env,
  git,
  gitApi,
  guestBackend,
  launchBrowser,
  portalUrls,
  waitFor,
} from '../../packages/app/e2e-tests/portal';

const REPO = { owner: 'vmportal-demo', repo: 'vm-gitops' };
const VM_ANNOTATIONS = {
  cluster: 'kubevirt.vmportal.io/cluster',
  namespace: 'kubevirt.vmportal.io/namespace',
  name: 'kubevirt.vmportal.io/name',
};

interface Entity {
  metadata: {
    name: string;
    namespace?: string;
    annotations?: Record<string, string>;
  };
}

/** The app's backend, as the signed-in guest (a member of team-web in this app). */
const backend = guestBackend;

/** `cluster/namespace/name` of every VirtualMachine on the demo clusters. */
async function vmsOnClusters(): Promise<string[]> {
  const names: string[] = [];
  for (const cluster of readClusters(env('E2E_KUBE_DIR'))) {
    const list = await kubeRequest<{
      items: Array<{ metadata: { namespace: string; name: string } }>;
    }>(kubeConfigFor(cluster), 'GET', '/apis/kubevirt.io/v1/virtualmachines');
    for (const vm of list.items) {
      names.push(
        `${cluster.name}/${vm.metadata.namespace}/${vm.metadata.name}`,
      );
    }
  }
  return names.sort();
}

function vmKey(entity: Entity): string {
  const a = entity.metadata.annotations ?? {};
  return `${a[VM_ANNOTATIONS.cluster]}/${a[VM_ANNOTATIONS.namespace]}/${
    a[VM_ANNOTATIONS.name]
  }`;
}

async function vmEntities(): Promise<Entity[]> {
  const { items } = await backend<{ items: Entity[] }>(
    `/api/catalog/entities/by-query?filter=${encodeURIComponent(
      'kind=component,spec.type=virtual-machine',
    )}&limit=1000`,
  );
  return items;
}

/** A seeded VM of the guest's team (kube-testenv's seedDemo). */
async function webVm(): Promise<Entity> {
  const vm = (await vmEntities()).find(
    e => vmKey(e) === 'demo-east/team-web/web-frontend-1',
  );
  assert.ok(vm, 'no Component for demo-east/team-web/web-frontend-1');
  return vm;
}

describe('VM Portal installed into a fresh Backstage app by its READMEs', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch(error =>
        process.stderr.write(`cleanup failed: ${error}\n`),
      );
    }
  });

  test('every VM of the clusters is a Component in its catalog', async () => {
    const expected = await vmsOnClusters();
    assert.ok(expected.length > 0, 'the demo clusters hold no VMs');
    const seen = await waitFor(
      `${expected.length} virtual-machine Components in the catalog`,
      180_000,
      async () => {
        const keys = (await vmEntities()).map(vmKey).sort();
        return keys.length === expected.length ? keys : undefined;
      },
    );
    assert.deepEqual(seen, expected);
    process.stdout.write(`# ${seen.length} VMs in the catalog\n`);
  });

  test('its VM page API answers for one of them', async () => {
    const vm = await webVm();
    const view = await backend<{
      name: string;
      namespace: string;
      cluster: string;
      printableStatus: string;
    }>(
      `/api/kubevirt/v1/entities/${
        vm.metadata.namespace ?? 'default'
      }/component/${vm.metadata.name}/vm`,
    );
    assert.deepEqual(
      [view.cluster, view.namespace, view.name],
      ['demo-east', 'team-web', 'web-frontend-1'],
    );
    assert.ok(view.printableStatus, 'the view has a status');
  });

  test('its scaffolder lists the kubevirt:vm:* actions', async () => {
    const actions = await backend<Array<{ id: string }>>(
      '/api/scaffolder/v2/actions',
    );
    const ours = actions
      .map(a => a.id)
      .filter(id => id.startsWith('kubevirt:vm:'));
    for (const id of ['kubevirt:vm:plan', 'kubevirt:vm:render']) {
      assert.ok(ours.includes(id), `${id} is not among ${ours.join(', ')}`);
    }
    process.stdout.write(`# scaffolder actions: ${ours.join(', ')}\n`);
  });

  test(
    'its scaffolder runs the request template to a pull request',
    { timeout: 300_000 },
    async () => {
      await waitFor('the request template in the catalog', 120_000, () =>
        backend(
          '/api/catalog/entities/by-name/template/default/request-virtual-machine',
        ),
      );
      const name = `install-${randomBytes(3).toString('hex')}`;
      const branch = `vm-request/demo-east-team-web-${name}`;
      const { id } = await backend<{ id: string }>('/api/scaffolder/v2/tasks', {
        method: 'POST',
        body: JSON.stringify({
          templateRef: 'template:default/request-virtual-machine',
          values: {
            cluster: 'demo-east',
            namespace: 'team-web',
            name,
            owner: 'group:default/team-web',
            instancetype: 'u1.small',
            os: {
              image: {
                containerDisk: { image: 'quay.io/containerdisks/fedora:41' },
              },
              preference: 'fedora',
              title: 'Fedora 41',
            },
            dataDiskSize: 0,
            description: 'Install test',
          },
        }),
      });
      cleanups.push(async () => {
        const [pr] = await gitApi<Array<{ number: number; state: string }>>(
          `/repos/${REPO.owner}/${REPO.repo}/pulls?state=all&head=${
            REPO.owner
          }:${encodeURIComponent(branch)}`,
        );
        if (pr?.state === 'open') {
          await gitApi(`/repos/${REPO.owner}/${REPO.repo}/pulls/${pr.number}`, {
            method: 'PATCH',
            body: JSON.stringify({ state: 'closed' }),
          });
        }
      });
      const status = await waitFor(`task ${id} to end`, 240_000, async () => {
        const task = await backend<{ status: string }>(
          `/api/scaffolder/v2/tasks/${id}`,
        );
        return ['completed', 'failed', 'cancelled'].includes(task.status)
          ? task.status
          : undefined;
      });
      const events = await backend<
        Array<{ body: { message?: string; error?: { message?: string } } }>
      >(`/api/scaffolder/v2/tasks/${id}/events`);
      const taskLog = events
        .map(e =>
          [e.body.message, e.body.error?.message].filter(Boolean).join('\n'),
        )
        .join('\n');
      assert.equal(status, 'completed', taskLog);
      const prs = await gitApi<Array<{ title: string; state: string }>>(
        `/repos/${REPO.owner}/${REPO.repo}/pulls?state=open&head=${
          REPO.owner
        }:${encodeURIComponent(branch)}`,
      );
      assert.equal(prs.length, 1, `one open pull request from ${branch}`);
      assert.match(prs[0].title, new RegExp(`Request VM ${name}`));
      assert.match(
        git(
          'show',
          `${branch}:clusters/demo-east/team-web/${name}/virtualmachine.yaml`,
        ),
        new RegExp(`name: ${name}\\n`),
      );
    },
  );

  test(
    'chromium shows the "Virtual machine" tab on a VM\'s page',
    { timeout: 300_000 },
    async () => {
      const { appUrl, outputDir } = portalUrls();
      const vm = await webVm();
      const browser = await launchBrowser();
      try {
        const page = await browser.newPage({
          viewport: { width: 1400, height: 1000 },
        });
        // The stock app's sign-in page: the guest provider's "Enter".
        await page.goto(appUrl);
        await page.getByRole('button', { name: 'Enter' }).click();
        await page
          .getByRole('link', { name: 'Catalog', exact: true })
          .first()
          .waitFor({ state: 'visible', timeout: 120_000 });
        await page.goto(
          `${appUrl}/catalog/${vm.metadata.namespace ?? 'default'}/component/${
            vm.metadata.name
          }`,
        );
        // The entity page's header navigation (Backstage UI): the tabs are links.
        const tab = page.getByRole('link', {
          name: 'Virtual machine',
          exact: true,
        });
        await tab.waitFor({ state: 'visible', timeout: 120_000 });
        await tab.click();
        await page.waitForURL(/\/virtual-machine$/);
        // The tab's content: the VM's live state from the kubevirt backend.
        await page
          .getByText('web-frontend-1', { exact: true })
          .first()
          .waitFor({ state: 'visible', timeout: 60_000 });
        await page
          .getByText('Running', { exact: true })
          .first()
          .waitFor({ state: 'visible', timeout: 60_000 });
        await page.screenshot({
          path: join(outputDir, 'installed-app-vm-tab.png'),
          fullPage: true,
        });
      } finally {
        await browser.close();
      }
    },
  );
});
