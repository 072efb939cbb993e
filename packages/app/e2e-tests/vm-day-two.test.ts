// Day two by pull request, in chromium, on VMs made by hand (as with kubectl).
// Each change goes from the VM page's button to its template (the VM chosen), to the
// pull request in the demo git server, Merge, and the change request's page showing
// "In effect"; the VM page then shows the change.
// 1. A VM that can be live-migrated (masquerade): adopt it and resize it live, without
//    a restart; then a size that does not fit is refused in the form and by the
//    template's action, naming the quota, and nothing reaches the git repository.
// 2. A VM that cannot (a bridge on the pod network): adopt it, resize it (it waits for
//    a restart, done from the VM page's alert), hot-plug a disk, and decommission it
//    (the VM, its DataVolume and its entity go).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Browser, Page } from 'playwright-core';
import {
  cluster,
  DEMO_REPO,
  git,
  gitApi,
  guestBackend,
  kube,
  launchBrowser,
  portalUrls,
  runTemplate,
  signInAsGuest,
  vmEntity,
  waitFor,
} from './portal';

const east = cluster('demo-east');
const NAMESPACE = 'team-web';
const suffix = randomBytes(3).toString('hex');
const NAME = `handmade-${suffix}`;
const LIVE = `live-${suffix}`;
const VM_PATH = `/apis/kubevirt.io/v1/namespaces/${NAMESPACE}/virtualmachines`;
const VMI_PATH = `/apis/kubevirt.io/v1/namespaces/${NAMESPACE}/virtualmachineinstances`;
const DV_PATH = `/apis/cdi.kubevirt.io/v1beta1/namespaces/${NAMESPACE}/datavolumes`;

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  for (const name of [NAME, LIVE]) {
    await kube(east, 'DELETE', `${VM_PATH}/${name}`).catch(() => undefined);
  }
});

interface VmObject {
  metadata: { annotations?: Record<string, string> };
  spec: {
    instancetype?: { name: string };
    template?: {
      spec?: {
        domain?: {
          cpu?: { sockets?: number; cores?: number };
          memory?: { guest?: string };
        };
        volumes?: Array<{ name: string; dataVolume?: { name: string } }>;
      };
    };
  };
  status?: { printableStatus?: string };
}

const readVm = (name: string) =>
  kube<VmObject>(east, 'GET', `${VM_PATH}/${name}`);

/** Resolves once `read` answers 404. */
const gone = (what: string, read: () => Promise<unknown>) =>
  waitFor(`${what} deleted`, 90_000, async () =>
    read().then(
      () => undefined,
      error => (/\b404\b|not ?found/i.test(String(error)) ? true : undefined),
    ),
  );

/**
 * Makes a VM by hand, as with kubectl (not in the GitOps repository), with its pod
 * network bound by `binding`, sized by the u1.small instancetype or, with `custom`,
 * by its own 1 vCPU and 2 GiB; resolves with its VM page once its entity is in the
 * catalog and it runs.
 */
async function handMadeVm(
  name: string,
  binding: 'bridge' | 'masquerade',
  size: 'u1.small' | 'custom' = 'u1.small',
): Promise<{ vmPage: string; entityRef: string }> {
  const { appUrl } = portalUrls();
  await kube(east, 'POST', VM_PATH, {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      runStrategy: 'Always',
      ...(size === 'u1.small' && {
        instancetype: {
          kind: 'VirtualMachineClusterInstancetype',
          name: 'u1.small',
        },
      }),
      template: {
        spec: {
          domain: {
            ...(size === 'custom' && {
              cpu: { cores: 1 },
              memory: { guest: '2Gi' },
            }),
            devices: {
              disks: [{ name: 'root', disk: {} }],
              interfaces: [{ name: 'default', [binding]: {} }],
            },
          },
          networks: [{ name: 'default', pod: {} }],
          volumes: [
            {
              name: 'root',
              containerDisk: { image: 'quay.io/containerdisks/fedora:41' },
            },
          ],
        },
      },
    },
  });
  const entity = await vmEntity(name, east.name);
  await waitFor(`${name} running`, 120_000, async () =>
    (await readVm(name)).status?.printableStatus === 'Running'
      ? true
      : undefined,
  );
  return {
    vmPage: `${appUrl}/catalog/default/component/${entity.metadata.name}/virtual-machine`,
    entityRef: `component:default/${entity.metadata.name}`,
  };
}

/** The Disks table's row of `disk` on the VM page. */
const diskRow = (page: Page, disk: string) =>
  page
    .getByRole('table')
    .filter({ has: page.getByRole('columnheader', { name: 'Hot-plug' }) })
    .getByRole('row')
    .filter({ has: page.getByRole('cell', { name: disk, exact: true }) });

/** The change request's stage on its page, as a screen reader names it. */
function stage(page: Page, label: string, state = 'reached') {
  return page.getByLabel(`${label}: ${state}`, { exact: true });
}

/**
 * From the VM page: the change's button → its template (the VM preselected) →
 * `fill` → Review → Create → "Follow the change" → Merge the pull request on the
 * git server's page → the request page shows "In effect".
 */
async function askForChange(
  page: Page,
  vmPage: string,
  button: string,
  fill: (form: Page) => Promise<void>,
  until = 'In effect',
): Promise<string> {
  await page.goto(vmPage);
  // Backstage's LinkButton: a link with the button role.
  const action = page.getByRole('button', { name: button, exact: true });
  await action.waitFor({ timeout: 90_000 });
  await action.click();
  await page.waitForURL(/\/create\/templates\/default\//);
  try {
    await fill(page);
    // The review step comes once the form's own checks (the plan) are done. A click
    // made as the form appears was once lost: a minute later the adopt form still
    // showed step 1, the VM chosen, no error, and the backend had had no request
    // since the form loaded. A person clicks Review again, and so does this (not
    // while the form is checking; a form that keeps refusing times out, with its
    // screenshot below).
    const create = page.getByRole('button', { name: 'Create' });
    const review = page.getByRole('button', { name: 'Review' });
    await waitFor('the review step', 60_000, async () => {
      if (await create.isVisible()) return true;
      if ((await review.isVisible()) && (await review.isEnabled())) {
        await review.click({ timeout: 5_000 });
      }
      return undefined;
    });
    await create.click();
    await page.waitForURL(/\/create\/tasks\//, { timeout: 60_000 });
  } catch (error) {
    // What the person would have seen: the form, its errors, or the task page.
    const shot = join(
      portalUrls().outputDir,
      `vm-day-two-${button.replace(/\W+/g, '-').toLowerCase()}-failed.png`,
    );
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    throw new Error(
      `${button}: the form did not reach its task (${page.url()}); see ${shot}`,
      { cause: error },
    );
  }
  const follow = page.getByRole('link', { name: 'Follow the change' });
  await follow.waitFor({ timeout: 180_000 });
  await follow.click();
  await stage(page, 'PR open').waitFor({ timeout: 30_000 });
  const prUrl = (await page
    .getByRole('link', { name: /^PR #\d+\b/ })
    .first()
    .getAttribute('href'))!;
  const review = await browser.newPage();
  await review.goto(prUrl);
  await review.getByRole('button', { name: 'Merge pull request' }).click();
  await review
    .getByText(/merged/i)
    .first()
    .waitFor({ timeout: 30_000 });
  await review.close();
  await stage(page, until).waitFor({ timeout: 180_000 });
  return page.url();
}

/** Picks `size` in the resize form's size select once the cluster's sizes are there. */
async function chooseSize(form: Page, size: string) {
  const select = form.getByRole('combobox', { name: /New size/ });
  await select.waitFor({ timeout: 60_000 });
  await form
    .locator(`option[value="${size}"]`)
    .waitFor({ state: 'attached', timeout: 30_000 });
  await select.selectOption(size);
}

test('resize a VM that can migrate live, without a restart; a size that does not fit is refused in the form and by the action, and nothing is written', async () => {
  const { appUrl, outputDir } = portalUrls();
  const { vmPage, entityRef } = await handMadeVm(LIVE, 'masquerade');
  const page = await browser.newPage({
    viewport: { width: 1400, height: 1100 },
  });
  await signInAsGuest(page, appUrl);
  await askForChange(page, vmPage, 'Adopt into GitOps', async () => undefined);

  // While KubeVirt moves the VM both launcher pods count in the quota: wait until the
  // plan says the namespace has room for both (VMs of earlier tests may still be
  // going), else the live update would rightly wait for room.
  const [, entityName] = entityRef.split('/');
  await waitFor(
    'room in team-web for a migration target pod',
    120_000,
    async () => {
      const plan = await guestBackend<{ takesEffect: string; notes: string[] }>(
        `/api/kubevirt/v1/entities/default/component/${entityName}/changes/plan`,
        {
          method: 'POST',
          body: JSON.stringify({ kind: 'resize', instancetype: 'u1.medium' }),
        },
      );
      return plan.takesEffect === 'live' &&
        !plan.notes.some(n => n.includes('both pods count'))
        ? true
        : undefined;
    },
  );

  // KubeVirt moves the VM to a launcher pod of the new size (a workload-update
  // migration) and the guest gets the memory: "In effect" with no restart.
  await askForChange(page, vmPage, 'Resize', async form => {
    await chooseSize(form, 'u1.medium');
    await form.getByText(/^Takes effect live/).waitFor({ timeout: 30_000 });
  });
  const vmi = await kube<{
    spec: { domain: { memory?: { guest?: string } } };
  }>(east, 'GET', `${VMI_PATH}/${LIVE}`);
  assert.equal(vmi.spec.domain.memory?.guest, '4Gi');
  await page.goto(vmPage);
  await page
    .getByRole('cell', { name: 'u1.medium', exact: true })
    .or(page.getByText('u1.medium', { exact: true }))
    .first()
    .waitFor({ timeout: 60_000 });
  assert.equal(
    await page.getByRole('region', { name: 'Restart required' }).count(),
    0,
    'no restart is asked for',
  );

  // u1.2xlarge (32 GiB) cannot fit team-web's 24 GiB of memory: the form says so,
  // naming the quota, and does not move on to Review.
  const pullsBefore = await gitApi<unknown[]>(
    `/repos/${DEMO_REPO.owner}/${DEMO_REPO.repo}/pulls?state=all&per_page=100`,
  );
  const branchesBefore = git('branch', '--list', 'vm-change/*');
  await page.goto(vmPage);
  await page.getByRole('button', { name: 'Resize', exact: true }).click();
  await page.waitForURL(/\/create\/templates\/default\//);
  await chooseSize(page, 'u1.2xlarge');
  await page
    .getByText(
      /^This change cannot be asked for: ResourceQuota team-quota: requests\.memory would be [\d.]+ GiB of 24 GiB \(short by [\d.]+ GiB\)/,
    )
    .waitFor({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Review' }).click();
  await page
    .getByText(/u1\.2xlarge .*cannot be asked for: ResourceQuota team-quota/)
    .first()
    .waitFor({ timeout: 30_000 });
  assert.equal(
    await page.getByRole('button', { name: 'Create' }).count(),
    0,
    'the form moved on with a size that does not fit',
  );
  await page.screenshot({
    path: join(outputDir, 'vm-day-two-refused.png'),
    fullPage: true,
  });

  // The same through the scaffolder's API, as a script (or a changed form) would ask:
  // the change step refuses, naming the quota, before any pull request.
  const run = await runTemplate('template:default/resize-virtual-machine', {
    vm: entityRef,
    instancetype: 'u1.2xlarge',
  });
  assert.equal(run.status, 'failed', run.log);
  assert.match(
    run.log,
    /ResourceQuota team-quota: requests\.memory would be [\d.]+ GiB of 24 GiB \(short by [\d.]+ GiB\)/,
  );
  assert.equal(
    run.events.find(e => e.body.stepId && e.body.status === 'failed')?.body
      .stepId,
    'change',
  );
  assert.equal(
    git('branch', '--list', 'vm-change/*'),
    branchesBefore,
    'no branch was pushed',
  );
  const pullsAfter = await gitApi<unknown[]>(
    `/repos/${DEMO_REPO.owner}/${DEMO_REPO.repo}/pulls?state=all&per_page=100`,
  );
  assert.equal(pullsAfter.length, pullsBefore.length, 'no new pull request');
  assert.equal((await readVm(LIVE)).spec.instancetype?.name, 'u1.medium');
});

test('adopt a VM that cannot migrate, resize its vCPUs and memory (restart required), hot-plug a disk, decommission it: each by pull request', async () => {
  const { appUrl, outputDir } = portalUrls();
  const { vmPage } = await handMadeVm(NAME, 'bridge', 'custom');
  const page = await browser.newPage({
    viewport: { width: 1400, height: 1100 },
  });
  await signInAsGuest(page, appUrl);

  // Adopt: the pull request adds its manifest; once applied it carries the request's id.
  await askForChange(page, vmPage, 'Adopt into GitOps', async () => undefined);
  const adopted = await readVm(NAME);
  assert.ok(
    adopted.metadata.annotations?.['vmportal.io/request-id'],
    'the adopted VM carries the request id',
  );

  // Resize while running, by its own vCPUs and memory (it has no instancetype, so the
  // Resize button opens the vCPUs-and-memory template): 1 vCPU, 2 GiB → 2 vCPUs,
  // 4 GiB. The VM cannot be live-migrated (a bridge on the pod network), and KubeVirt
  // hot-plugs CPU and memory by migrating: the plan says so before the pull request,
  // and after the merge the cluster has the new size while the VM runs on with the
  // old one until restarted.
  const requestPage = await askForChange(
    page,
    vmPage,
    'Resize',
    async form => {
      await form.waitForURL(/resize-virtual-machine-custom/);
      await form.getByRole('spinbutton', { name: 'vCPUs' }).fill('2');
      await form.getByRole('spinbutton', { name: 'Memory (GiB)' }).fill('4');
      await form
        .getByText(/^Takes effect at the next restart/)
        .waitFor({ timeout: 30_000 });
    },
    'Applied',
  );
  const domain = (await readVm(NAME)).spec.template?.spec?.domain;
  assert.equal((domain?.cpu?.sockets ?? 1) * (domain?.cpu?.cores ?? 1), 2);
  assert.equal(domain?.memory?.guest, '4Gi');
  // The VM page's alert restarts it, and the change request is then in effect.
  await page.goto(vmPage);
  const restartRequired = page.getByRole('region', {
    name: 'Restart required',
  });
  await restartRequired.waitFor({ timeout: 60_000 });
  await restartRequired
    .getByRole('button', { name: 'Restart', exact: true })
    .click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('button', { name: 'Restart', exact: true }).click();
  await dialog.waitFor({ state: 'hidden' });
  await page.goto(requestPage);
  await stage(page, 'In effect').waitFor({ timeout: 180_000 });
  await page.screenshot({
    path: join(outputDir, 'vm-day-two-resized.png'),
    fullPage: true,
  });

  // Add a disk: KubeVirt hot-plugs it into the running VM; the request is in effect
  // once the VMI reports the volume Ready, and the VM page's Disks table says so.
  await askForChange(page, vmPage, 'Add a disk', async form => {
    await form
      .getByLabel(/Disk name/)
      .first()
      .fill('data2');
    const size = form.getByLabel(/Size \(GiB\)/).first();
    await size.fill('5');
    await form
      .getByText(/This change fits the quota of team-web/)
      .waitFor({ timeout: 30_000 });
  });
  const withDisk = await readVm(NAME);
  const dataVolume = withDisk.spec.template?.spec?.volumes?.find(
    v => v.name === 'data2',
  )?.dataVolume?.name;
  assert.ok(dataVolume, 'the VM has the new disk, from a DataVolume');
  await page.goto(vmPage);
  const row = diskRow(page, 'data2');
  await row.waitFor({ timeout: 60_000 });
  await row
    .getByRole('cell', { name: 'Ready', exact: true })
    .waitFor({ timeout: 60_000 });
  // The claim's size: 5 GiB, or a little more where CDI adds filesystem overhead.
  assert.match(await row.innerText(), /\t5(\.\d)? GiB\t/);
  await page.screenshot({
    path: join(outputDir, 'vm-day-two-disk-added.png'),
    fullPage: true,
  });

  // Decommission, behind the typed name: the merge deletes the VM, KubeVirt's
  // garbage collection its DataVolume, and the catalog its entity.
  await askForChange(page, vmPage, 'Decommission', async form => {
    await form
      .getByLabel(/Type the VM's name/)
      .first()
      .fill(NAME);
  });
  await gone(NAME, () => readVm(NAME));
  await gone(dataVolume, () => kube(east, 'GET', `${DV_PATH}/${dataVolume}`));
  await page.goto(vmPage);
  await page
    .getByText(/not found/i)
    .first()
    .waitFor({ timeout: 60_000 });
  await page.screenshot({
    path: join(outputDir, 'vm-day-two-decommissioned.png'),
    fullPage: true,
  });
});
