// The human path of a VM request, in chromium: the request form → the task's "Follow
// the request" link → the request page (PR open) → the pull request's page in the demo
// git server → Merge → the request page shows each stage in turn → the VM page shows
// the VM Running. And a declined request: Close on the PR page → Declined, nothing applied.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Browser, Page } from 'playwright-core';
import {
  cluster,
  FEDORA_CONTAINER_DISK,
  keepScreenshotForDocs,
  kube,
  launchBrowser,
  portalUrls,
  removeRequestedVm,
  signInAsGuest,
  waitFor,
  watchForSecrets,
} from './portal';

const NAMESPACE = 'team-web';
const suffix = randomBytes(3).toString('hex');

/** Fills the request form (prefilled through `formData`) and submits it. */
async function submitRequest(page: Page, appUrl: string, name: string) {
  const formData = {
    cluster: 'demo-east',
    namespace: NAMESPACE,
    name,
    owner: 'group:default/team-web',
    os: FEDORA_CONTAINER_DISK,
    description: 'Requested by the end-to-end journey test',
  };
  await page.goto(
    `${appUrl}/create/templates/default/request-virtual-machine?formData=${encodeURIComponent(
      JSON.stringify(formData),
    )}`,
  );
  // Who and where (prefilled) → Operating system and size.
  await page.getByRole('combobox', { name: /Namespace/ }).waitFor({
    timeout: 60_000,
  });
  await page
    .locator('option[value="team-web"]')
    .waitFor({ state: 'attached', timeout: 30_000 });
  await page.getByRole('button', { name: 'Next' }).click();
  const size = page.getByRole('combobox', { name: /Size/ });
  await size.waitFor({ timeout: 60_000 });
  const smallest = page
    .locator('option[value^="u1."]')
    .filter({ hasText: /\b1 vCPU/ })
    .first();
  await smallest.waitFor({ state: 'attached', timeout: 30_000 });
  await size.selectOption((await smallest.getAttribute('value'))!);
  await page.getByText(/fits the quota of team-web\./).waitFor({
    timeout: 30_000,
  });
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();
  // The task page: its output links to the request's page.
  const follow = page.getByRole('link', { name: 'Follow the request' });
  await follow.waitFor({ timeout: 180_000 });
  // A path in the app, so the page opens in the same tab.
  const href = (await follow.getAttribute('href')) ?? '';
  assert.match(href, /^\/vm-requests\/[0-9a-f-]{36}$/);
  return href;
}

/** The stage step of the request page, as a screen reader names it. */
function stage(page: Page, label: string, state = 'reached') {
  return page.getByLabel(`${label}: ${state}`, { exact: true });
}

describe('A VM request, followed by its requester', () => {
  let browser: Browser;
  const cleanups: Array<() => Promise<unknown>> = [];
  const east = cluster('demo-east');
  const { appUrl, outputDir } = portalUrls();

  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch(error =>
        process.stderr.write(`cleanup failed: ${error}\n`),
      );
    }
    await browser?.close();
  });

  test('form → pull request → Merge → each stage on the request page → the VM page shows Running', async () => {
    const name = `journey-${suffix}`;
    const page = await browser.newPage({
      viewport: { width: 1400, height: 1100 },
    });
    const secrets = watchForSecrets(page);
    await signInAsGuest(page, appUrl);
    const requestPath = await submitRequest(page, appUrl, name);
    await page.getByRole('link', { name: 'Follow the request' }).click();
    await page.waitForURL(url => url.pathname === requestPath);
    await stage(page, 'PR open').waitFor({ timeout: 30_000 });
    await page.screenshot({
      path: join(outputDir, 'vm-request-pr-open.png'),
      fullPage: true,
    });
    await stage(page, 'Merged', 'not yet').waitFor();
    await page.getByText('team-web', { exact: false }).first().waitFor();

    // The team is asked to review in its notifications, in words, not entity refs.
    await page
      .getByTestId('sidebar-root')
      .getByRole('link', { name: 'Notifications' })
      .click();
    // Earlier tests may have left the guest other notices: read this request's row.
    const notice = page.getByRole('row').filter({
      hasText: new RegExp(
        `VM request ${NAMESPACE}/${name}: PR #\\d+ waits for review`,
      ),
    });
    await notice.waitFor({ timeout: 30_000 });
    // The list cuts long descriptions; a person clicks "Show more" to read it all.
    await notice.getByRole('button', { name: 'Show more' }).click();
    await page.screenshot({
      path: join(outputDir, 'vm-request-notification.png'),
      fullPage: true,
    });
    await notice
      .getByText(
        /guest asks for .+ on cluster demo-east for team-web\. Review and merge PR #\d+ to approve it \(reviewers: [\w, -]+\)\./,
      )
      .waitFor({ timeout: 5_000 });
    await page.goto(`${appUrl}${requestPath}`);
    await stage(page, 'PR open').waitFor({ timeout: 30_000 });

    // The PR's page, in the demo git server: the quota table, and Merge.
    const prLink = page.getByRole('link', { name: /^PR #\d+\b/ }).first();
    const prUrl = (await prLink.getAttribute('href'))!;
    const review = await browser.newPage();
    await review.goto(prUrl);
    await review.getByText('Quota plan', { exact: false }).first().waitFor();
    await review.getByRole('button', { name: 'Merge pull request' }).click();
    cleanups.push(() => removeRequestedVm(east, NAMESPACE, name));
    await review
      .getByText(/merged/i)
      .first()
      .waitFor({ timeout: 30_000 });
    await review.close();

    // Back on the request page, with no reload: the stages arrive as they happen.
    const seen: string[] = [];
    for (const label of ['Merged', 'Applied', 'Running', 'In the catalog']) {
      await stage(page, label).waitFor({ timeout: 120_000 });
      seen.push(label);
    }
    assert.deepEqual(seen, ['Merged', 'Applied', 'Running', 'In the catalog']);
    await page.getByText(/The VirtualMachine exists in team-web/).waitFor();
    const screenshot = join(outputDir, 'vm-request-page.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    keepScreenshotForDocs(screenshot, 'vm-request-page.png');

    // The request page leads to the VM page, which shows the VM Running and links back.
    await page.getByRole('link', { name: 'Open the VM page' }).click();
    await page.waitForURL(/\/virtual-machine$/);
    await page.getByText('Running', { exact: true }).first().waitFor({
      timeout: 60_000,
    });
    await page
      .getByText(/Requested by .* in PR #\d+/)
      .first()
      .waitFor();
    // No cluster or git credential reached the browser along the way.
    assert.ok((await secrets.check()) > 0, 'no responses were recorded');

    // The requester was told, in the portal's notifications (one notice per request,
    // updated at each stage), and finds the request in the sidebar's VM requests.
    await page
      .getByTestId('sidebar-root')
      .getByRole('link', { name: 'Notifications' })
      .click();
    await page
      .getByText(`VM request ${NAMESPACE}/${name}: ready`)
      .first()
      .waitFor({ timeout: 30_000 });
    await page
      .getByTestId('sidebar-root')
      .getByRole('link', { name: 'VM requests' })
      .click();
    await page.getByRole('link', { name, exact: true }).first().waitFor();
    await page.close();
  });

  test('a declined request (PR closed) shows as declined, and nothing is applied', async () => {
    const name = `declined-${suffix}`;
    const page = await browser.newPage({
      viewport: { width: 1400, height: 1000 },
    });
    await signInAsGuest(page, appUrl);
    const requestPath = await submitRequest(page, appUrl, name);
    await page.goto(`${appUrl}${requestPath}`);
    await stage(page, 'PR open').waitFor({ timeout: 30_000 });
    const prUrl = (await page
      .getByRole('link', { name: /^PR #\d+\b/ })
      .first()
      .getAttribute('href'))!;

    const review = await browser.newPage();
    await review.goto(prUrl);
    await review.getByRole('button', { name: 'Close pull request' }).click();
    await review
      .getByText(/closed/i)
      .first()
      .waitFor({ timeout: 30_000 });
    await review.close();

    await stage(page, 'Declined', 'failed').waitFor({ timeout: 60_000 });
    await page
      .getByText(/was closed without merging; nothing was applied/)
      .waitFor();
    const vm = await waitFor('the cluster to answer', 30_000, async () =>
      kube(
        east,
        'GET',
        `/apis/kubevirt.io/v1/namespaces/${NAMESPACE}/virtualmachines/${name}`,
      ).then(
        () => 'exists',
        (error: Error) => (/: 404 /.test(error.message) ? 'absent' : undefined),
      ),
    );
    assert.equal(vm, 'absent', 'a declined request applies nothing');
    await page.close();
  });
});
