import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Browser, Page } from 'playwright-core';
import {
  cluster,
  Cluster,
  kube,
  launchBrowser,
  portalUrls,
  signInAsGuest,
  waitFor,
} from './portal';

/** The demo cluster no other end-to-end test adds VMs to or powers VMs on. */
const CLUSTER = 'demo-west';

interface ClusterVm {
  metadata: {
    name: string;
    namespace: string;
    annotations?: Record<string, string>;
  };
  spec: {
    preference?: { name: string };
    template?: {
      spec?: {
        volumes?: Array<{
          containerDisk?: { image: string };
          dataVolume?: { name: string };
        }>;
      };
    };
    dataVolumeTemplates?: Array<{
      metadata: { name: string };
      spec: { source?: { registry?: { url?: string } } };
    }>;
  };
  status?: { printableStatus?: string };
}

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** The VMs of a cluster as its apiserver lists them: the test's own oracle. */
async function clusterVms(c: Cluster): Promise<ClusterVm[]> {
  const list = await kube<{ items: ClusterVm[] }>(
    c,
    'GET',
    '/apis/kubevirt.io/v1/virtualmachines',
  );
  return list.items;
}

/** Whether the VM runs `os`: its preference, else the image it boots from. */
function runsOs(vm: ClusterVm, os: string): boolean {
  if (vm.spec.preference) return vm.spec.preference.name === os;
  const images = [
    ...(vm.spec.template?.spec?.volumes ?? []).map(v => v.containerDisk?.image),
    ...(vm.spec.dataVolumeTemplates ?? []).map(
      t => t.spec.source?.registry?.url,
    ),
  ];
  return images.some(image => image?.split('/').pop()?.split(':')[0] === os);
}

/** The text of each cell of the inventory's rows, by column title. */
async function tableRows(page: Page): Promise<Array<Record<string, string>>> {
  return page.evaluate(() => {
    const table = document.querySelector('table');
    if (!table) return [];
    const titles = [...table.querySelectorAll('thead th')].map(
      th => th.textContent?.trim() ?? '',
    );
    return [...table.querySelectorAll('tbody tr')]
      .map(tr => [...tr.querySelectorAll('td')])
      .filter(cells => cells.length === titles.length)
      .map(cells =>
        Object.fromEntries(
          cells.map((td, i) => [
            titles[i],
            (td as HTMLElement).innerText.trim(),
          ]),
        ),
      );
  });
}

/** Waits until the rows' names are exactly `names` (in any order). */
async function waitForNames(page: Page, names: string[], what: string) {
  const expected = [...names].sort();
  return waitFor(
    `the inventory to list ${what}: ${expected.join(', ')}`,
    60_000,
    async () => {
      const rows = await tableRows(page);
      const shown = rows.map(r => r.Name).sort();
      return JSON.stringify(shown) === JSON.stringify(expected)
        ? rows
        : undefined;
    },
  );
}

/** The input of the filter titled `title` (the catalog's pickers label their inputs so). */
function filterInput(page: Page, title: string) {
  return page
    .locator('label', { has: page.locator(`span:text-is("${title}")`) })
    .locator('input')
    .first();
}

/** Picks `value` in the inventory's multi-select filter titled `title`. */
async function pick(page: Page, title: string, value: string) {
  const input = filterInput(page, title);
  await input.click();
  await input.fill(value);
  await page
    .getByRole('option', { name: new RegExp(`^${value} \\(\\d+\\)$`) })
    .click();
  await page.keyboard.press('Escape');
}

test('the VM inventory filters, shows live states and exports what it shows', async () => {
  const { appUrl, outputDir } = portalUrls();
  const west = cluster(CLUSTER);
  const page = await browser.newPage({
    viewport: { width: 1600, height: 1000 },
    acceptDownloads: true,
  });
  await signInAsGuest(page, appUrl);

  // One click from the sidebar.
  await page
    .getByTestId('sidebar-root')
    .getByRole('link', { name: 'Virtual machines', exact: true })
    .click();
  await page.waitForURL(url => url.pathname === '/virtual-machines');
  await page
    .getByRole('columnheader', { name: 'IP addresses' })
    .waitFor({ state: 'visible', timeout: 60_000 });
  const headers = await page.getByRole('columnheader').allTextContents();
  for (const column of [
    'Name',
    'Owner',
    'Cluster',
    'Namespace',
    'Size',
    'OS',
    'Run strategy',
    'Status',
    'IP addresses',
  ]) {
    assert.ok(
      headers.some(h => h.trim() === column),
      `no "${column}" column in ${headers.join(' | ')}`,
    );
  }
  for (const filter of [
    'Owner',
    'Cluster',
    'Namespace',
    'Operating system',
    'Size series',
    'Run strategy',
  ]) {
    await filterInput(page, filter).waitFor();
  }

  // Cluster: exactly the cluster's VMs.
  const vms = await clusterVms(west);
  assert.ok(vms.length > 3, `the demo's ${CLUSTER} has ${vms.length} VMs`);
  await pick(page, 'Cluster', CLUSTER);
  const clusterRows = await waitForNames(
    page,
    vms.map(vm => vm.metadata.name),
    `every VM of ${CLUSTER}`,
  );
  assert.ok(clusterRows.every(r => r.Cluster === CLUSTER));

  // Cluster and OS: exactly the cluster's fedora VMs.
  const fedora = vms.filter(vm => runsOs(vm, 'fedora'));
  assert.ok(
    fedora.length > 0 && fedora.length < vms.length,
    `${CLUSTER} should hold some fedora VMs and some others`,
  );
  await pick(page, 'Operating system', 'fedora');
  await waitForNames(
    page,
    fedora.map(vm => vm.metadata.name),
    `the fedora VMs of ${CLUSTER}`,
  );
  // The filters are in the address, to share the view.
  assert.match(
    decodeURIComponent(page.url()),
    /filters\[vmCluster\]=demo-west/,
  );

  // Live states as the cluster has them: a running VM with its address, a stopped one.
  const byName = new Map(vms.map(vm => [vm.metadata.name, vm]));
  const running = fedora.find(vm => vm.status?.printableStatus === 'Running');
  const stopped = fedora.find(vm => vm.status?.printableStatus === 'Stopped');
  assert.ok(
    running && stopped,
    'a running and a stopped fedora VM in the demo',
  );
  const shown = await waitFor(
    'the live states of the rows',
    60_000,
    async () => {
      const rows = await tableRows(page);
      const states = new Map(rows.map(r => [r.Name, r]));
      const runningRow = states.get(running.metadata.name);
      const stoppedRow = states.get(stopped.metadata.name);
      return runningRow?.Status === 'Running' &&
        /\d+\.\d+\.\d+\.\d+/.test(runningRow['IP addresses']) &&
        stoppedRow?.Status === 'Stopped'
        ? rows
        : undefined;
    },
  );
  await page.screenshot({
    path: join(outputDir, 'vm-inventory.png'),
    fullPage: true,
  });

  // The CSV holds the same rows, with the same live states.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: /Export CSV/i }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^virtual-machines-.*\.csv$/);
  const csv = readFileSync(await download.path(), 'utf8')
    .trim()
    .split(/\r?\n/);
  const header = csv[0].split(',');
  const column = (name: string) => {
    const index = header.indexOf(name);
    assert.ok(index >= 0, `no ${name} column in the CSV header ${csv[0]}`);
    return index;
  };
  const lines = csv.slice(1).map(line => line.split(','));
  assert.deepEqual(
    lines.map(l => l[column('Name')]).sort(),
    shown.map(r => r.Name).sort(),
    'the CSV lists the rows on screen',
  );
  for (const line of lines) {
    const name = line[column('Name')];
    assert.equal(line[column('Cluster')], CLUSTER);
    assert.equal(
      line[column('Status')],
      byName.get(name)?.status?.printableStatus,
      `the CSV's status of ${name}`,
    );
  }

  // Search by IP address: the running VM's address finds exactly it.
  const address = shown
    .find(r => r.Name === running.metadata.name)!
    ['IP addresses'].split(/\s+/)[0];
  await page.getByLabel('Search by name or IP').fill(address);
  await waitForNames(
    page,
    [running.metadata.name],
    `the VM with IP ${address}`,
  );
  // And by name, on the catalog's full-text search.
  await page.getByLabel('Search by name or IP').fill(stopped.metadata.name);
  await waitForNames(
    page,
    [stopped.metadata.name],
    `the VM named ${stopped.metadata.name}`,
  );
});
