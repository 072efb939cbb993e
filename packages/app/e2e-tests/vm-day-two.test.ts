// Day two by pull request, in chromium, on one VM made by hand (as with kubectl):
// adopt it into GitOps, then resize it while it runs.
// Each change goes from the VM page's button to its template (the VM chosen), to the
// pull request in the demo git server, Merge, and the change request's page showing
// "In effect"; the resize waits for a restart, done from the VM page's alert.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Browser, Page } from 'playwright-core';
import {
  cluster,
  guestBackend,
  kube,
  launchBrowser,
  portalUrls,
  signInAsGuest,
  waitFor,
} from './portal';

const east = cluster('demo-east');
const NAMESPACE = 'team-web';
const NAME = `handmade-${randomBytes(3).toString('hex')}`;
const VM_PATH = `/apis/kubevirt.io/v1/namespaces/${NAMESPACE}/virtualmachines`;

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await kube(east, 'DELETE', `${VM_PATH}/${NAME}`).catch(() => undefined);
});

interface VmObject {
  metadata: { annotations?: Record<string, string> };
  spec: {
    instancetype?: { name: string };
    template?: { spec?: { volumes?: Array<{ name: string }> } };
  };
  status?: { printableStatus?: string };
}

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
  await fill(page);
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();
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

test('adopt a hand-made VM into GitOps, then resize it: each by pull request, from the VM page', async () => {
  const { appUrl, outputDir } = portalUrls();
  // Made by hand, as with kubectl: not in the GitOps repository.
  await kube(east, 'POST', VM_PATH, {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: NAME, namespace: NAMESPACE },
    spec: {
      runStrategy: 'Always',
      instancetype: {
        kind: 'VirtualMachineClusterInstancetype',
        name: 'u1.small',
      },
      template: {
        spec: {
          domain: { devices: { disks: [{ name: 'root', disk: {} }] } },
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
  const entity = await waitFor(
    `the catalog entity of ${NAME}`,
    90_000,
    async () => {
      const { items } = await guestBackend<{
        items: Array<{
          metadata: { name: string; annotations?: Record<string, string> };
        }>;
      }>(
        `/api/catalog/entities/by-query?filter=${encodeURIComponent(
          `kind=component,metadata.annotations.kubevirt.vmportal.io/name=${NAME}`,
        )}`,
      );
      return items.find(
        e =>
          e.metadata.annotations?.['kubevirt.vmportal.io/cluster'] ===
          east.name,
      );
    },
  );
  const vmPage = `${appUrl}/catalog/default/component/${entity.metadata.name}/virtual-machine`;
  const page = await browser.newPage({
    viewport: { width: 1400, height: 1100 },
  });
  await signInAsGuest(page, appUrl);
  const readVm = () => kube<VmObject>(east, 'GET', `${VM_PATH}/${NAME}`);
  await waitFor(`${NAME} running`, 120_000, async () =>
    (await readVm()).status?.printableStatus === 'Running' ? true : undefined,
  );

  // Adopt: the pull request adds its manifest; once applied it carries the request's id.
  await askForChange(page, vmPage, 'Adopt into GitOps', async () => undefined);
  const adopted = await readVm();
  assert.ok(
    adopted.metadata.annotations?.['vmportal.io/request-id'],
    'the adopted VM carries the request id',
  );

  // Resize while running: u1.small → u1.medium. The pull request is merged and the
  // cluster has the new size. (The added disk and the decommission are not yet shown
  // here: see the session notes.)
  const requestPage = await askForChange(
    page,
    vmPage,
    'Resize',
    async form => {
      const size = form.getByRole('combobox', { name: /New size/ });
      await size.waitFor({ timeout: 60_000 });
      await form
        .locator('option[value="u1.medium"]')
        .waitFor({ state: 'attached', timeout: 30_000 });
      await size.selectOption('u1.medium');
    },
    'Applied',
  );
  assert.equal((await readVm()).spec.instancetype?.name, 'u1.medium');
  // The VM cannot be live-migrated (a bridge on the pod network), so KubeVirt keeps
  // the old size and asks for a restart: the VM page's alert restarts it, and the
  // change request is then in effect.
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
  const resized = join(outputDir, 'vm-day-two-resized.png');
  await page.screenshot({ path: resized, fullPage: true });
});
