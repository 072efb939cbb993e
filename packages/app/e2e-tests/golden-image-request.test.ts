/**
 * A person requests a VM the way the form leads them: owner → cluster → namespace →
 * golden image → size, with the root disk counted in the quota; the merged request
 * comes up with a persistent root disk cloned from the image. A root disk larger
 * than the namespace's storage quota is refused at the form, naming the quota.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Browser, Page } from 'playwright-core';
import {
  cluster,
  kube,
  launchBrowser,
  portalUrls,
  removeRequestedVm,
  signInAsGuest,
  waitFor,
} from './portal';

const NAMESPACE = 'team-web';
const IMAGES = 'kubevirt-os-images';
const suffix = randomBytes(3).toString('hex');

/** Page 1 of the request form, chosen as a person would: owner, cluster, namespace, name. */
async function whoAndWhere(page: Page, appUrl: string, name: string) {
  await page.goto(`${appUrl}/create/templates/default/request-virtual-machine`);
  const owner = page.getByRole('textbox', { name: /Owning team/ });
  await owner.waitFor({ timeout: 60_000 });
  await owner.click();
  // The picker shows groups by their title ("Web") or ref; both contain "web".
  await owner.fill('web');
  await page.getByRole('option').filter({ hasText: /web/i }).first().click();
  const clusterField = page.getByRole('combobox', { name: /Cluster/ });
  await page
    .locator('option[value="demo-east"]')
    .waitFor({ state: 'attached', timeout: 30_000 });
  await clusterField.selectOption('demo-east');
  const namespace = page.getByRole('combobox', { name: /Namespace/ });
  // Each namespace with how full its quota is.
  const option = namespace.locator(`option[value="${NAMESPACE}"]`);
  await option.waitFor({ state: 'attached', timeout: 30_000 });
  assert.match((await option.textContent()) ?? '', /^team-web · .+ used$/);
  await namespace.selectOption(NAMESPACE);
  await page.getByRole('textbox', { name: /VM name/ }).fill(name);
  await page.getByRole('button', { name: 'Next' }).click();
}

/** Page 2: the golden image (its size preselected) and the root disk's size. */
async function goldenImage(page: Page, image: string, rootGiB?: number) {
  const os = page.getByRole('combobox', { name: /Operating system/ });
  const value = `ds:${IMAGES}/${image}`;
  await os
    .locator(`option[value="${value}"]:not([disabled])`)
    .waitFor({ state: 'attached', timeout: 120_000 });
  await os.selectOption(value);
  if (rootGiB !== undefined) {
    await page
      .getByRole('spinbutton', { name: 'Root disk size (GiB)' })
      .fill(String(rootGiB));
  }
}

describe('A VM from a golden image, requested through the form', () => {
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

  test('owner → cluster → namespace → image → size, root disk in the quota; after merge the VM runs on a clone of the image', async () => {
    const name = `golden-${suffix}`;
    const page = await browser.newPage({
      viewport: { width: 1400, height: 1200 },
    });
    await signInAsGuest(page, appUrl);
    await whoAndWhere(page, appUrl, name);
    await goldenImage(page, 'fedora', 12);

    // The image's default size is preselected, and the plan counts the root disk.
    const size = page.getByRole('combobox', { name: /Size/ });
    await waitFor('the suggested size', 30_000, async () =>
      (await size.inputValue()) === 'u1.small' ? true : undefined,
    );
    await page
      .getByRole('progressbar', { name: /^Storage requests/ })
      .first()
      .waitFor({ timeout: 30_000 });
    await page.getByText(/u1\.small fits the quota of team-web\./).waitFor();
    await page.screenshot({
      path: join(outputDir, 'vm-request-golden-image.png'),
      fullPage: true,
    });
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('button', { name: 'Create' }).click();
    const follow = page.getByRole('link', { name: 'Follow the request' });
    await follow.waitFor({ timeout: 180_000 });
    await follow.click();
    const prUrl = (await page
      .getByRole('link', { name: /^PR #\d+\b/ })
      .first()
      .getAttribute('href', { timeout: 60_000 }))!;

    const review = await browser.newPage();
    await review.goto(prUrl);
    await review.getByRole('button', { name: 'Merge pull request' }).click();
    cleanups.push(() => removeRequestedVm(east, NAMESPACE, name));
    await review
      .getByText(/merged/i)
      .first()
      .waitFor({ timeout: 30_000 });
    await review.close();

    await page
      .getByLabel('Running: reached', { exact: true })
      .waitFor({ timeout: 180_000 });
    // The root disk: a DataVolume cloned from the golden image, persistent, 12 GiB.
    // The VM's template names the DataSource; KubeVirt's VM controller creates the
    // DataVolume with the DataSource resolved to its source claim.
    const vm = await kube<{
      spec: {
        dataVolumeTemplates?: Array<{
          spec: {
            sourceRef?: { kind: string; name: string; namespace: string };
          };
        }>;
      };
    }>(
      east,
      'GET',
      `/apis/kubevirt.io/v1/namespaces/${NAMESPACE}/virtualmachines/${name}`,
    );
    assert.deepEqual(vm.spec.dataVolumeTemplates?.[0]?.spec.sourceRef, {
      kind: 'DataSource',
      name: 'fedora',
      namespace: IMAGES,
    });
    const golden = await kube<{
      spec: { source?: { pvc?: { name: string; namespace: string } } };
    }>(
      east,
      'GET',
      `/apis/cdi.kubevirt.io/v1beta1/namespaces/${IMAGES}/datasources/fedora`,
    );
    const dv = await kube<{
      spec: {
        source?: { pvc?: { name: string; namespace: string } };
        storage?: { resources?: { requests?: { storage?: string } } };
      };
      status?: { phase?: string; claimName?: string };
    }>(
      east,
      'GET',
      `/apis/cdi.kubevirt.io/v1beta1/namespaces/${NAMESPACE}/datavolumes/${name}-rootdisk`,
    );
    assert.ok(golden.spec.source?.pvc, 'the golden image has a source claim');
    assert.deepEqual(dv.spec.source?.pvc, golden.spec.source?.pvc);
    assert.equal(dv.spec.storage?.resources?.requests?.storage, '12Gi');
    assert.equal(dv.status?.phase, 'Succeeded');
    const pvc = await kube<{
      status?: { phase?: string; capacity?: { storage?: string } };
    }>(
      east,
      'GET',
      `/api/v1/namespaces/${NAMESPACE}/persistentvolumeclaims/${
        dv.status?.claimName ?? `${name}-rootdisk`
      }`,
    );
    assert.equal(pvc.status?.phase, 'Bound');
    await page.close();
  });

  test('a root disk larger than the storage quota is refused at the form, naming the quota and the shortfall', async () => {
    const page = await browser.newPage({
      viewport: { width: 1400, height: 1200 },
    });
    await signInAsGuest(page, appUrl);
    await whoAndWhere(page, appUrl, `too-big-${suffix}`);
    await goldenImage(page, 'fedora', 5000);
    await page
      .getByRole('progressbar', { name: /^Storage requests.*does not fit/ })
      .first()
      .waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Next' }).click();
    const refusal = page
      .getByText(
        /does not fit the quota of team-web on demo-east: .*requests\.storage/,
      )
      .first();
    await refusal.waitFor({ timeout: 30_000 });
    assert.match(
      (await refusal.textContent()) ?? '',
      /requests\.storage.*short by/,
    );
    assert.equal(
      await page.getByRole('combobox', { name: /Size/ }).isVisible(),
      true,
      'the form moved on with a root disk that does not fit',
    );
    await page.close();
  });
});
