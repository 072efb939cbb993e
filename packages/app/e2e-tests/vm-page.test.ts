import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Browser, Locator, Page } from 'playwright-core';
import {
  FEDORA_CONTAINER_DISK,
  keepScreenshotForDocs,
  launchBrowser,
  portalUrls,
  signInAsGuest,
  watchForSecrets,
} from './portal';

const ANNOTATION = {
  cluster: 'kubevirt.vmportal.io/cluster',
  namespace: 'kubevirt.vmportal.io/namespace',
  name: 'kubevirt.vmportal.io/name',
};

interface CatalogEntity {
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    title?: string;
    annotations?: Record<string, string>;
  };
}

/** Catalog entities, read as scripts read them: with the API token. */
async function catalogEntities(
  backendUrl: string,
  filter: string,
): Promise<CatalogEntity[]> {
  const token = process.env.VMPORTAL_API_TOKEN;
  assert.ok(token, 'VMPORTAL_API_TOKEN is not set; npm test sets it');
  const response = await fetch(
    `${backendUrl}/api/catalog/entities/by-query?filter=${encodeURIComponent(
      filter,
    )}&limit=1000`,
    { headers: { Authorization: `Bearer ${token}` } },
  );
  const body = await response.text();
  assert.equal(
    response.status,
    200,
    `the catalog answered ${response.status}: ${body}`,
  );
  return (JSON.parse(body) as { items: CatalogEntity[] }).items;
}

/** The catalog entity of a seeded VM (names in kube-testenv's seedDemo.ts). */
async function vmEntity(
  backendUrl: string,
  namespace: string,
  name: string,
): Promise<CatalogEntity> {
  const vms = await catalogEntities(
    backendUrl,
    'kind=component,spec.type=virtual-machine',
  );
  const entity = vms.find(
    vm =>
      vm.metadata.annotations?.[ANNOTATION.namespace] === namespace &&
      vm.metadata.annotations?.[ANNOTATION.name] === name,
  );
  assert.ok(
    entity,
    `no virtual-machine Component for ${namespace}/${name} among ${vms.length} VMs`,
  );
  return entity;
}

function entityPath(entity: CatalogEntity): string {
  return `${entity.metadata.namespace ?? 'default'}/component/${
    entity.metadata.name
  }`;
}

/** The value cell of a row of the VM's facts ("Status", "Node", …). */
function fact(page: Page, title: string): Locator {
  return page
    .locator('tr')
    .filter({ has: page.locator('td', { hasText: new RegExp(`^${title}$`) }) })
    .first()
    .locator('td')
    .nth(1);
}

async function waitForStatus(
  page: Page,
  status: string,
  timeout = 130_000,
): Promise<void> {
  await fact(page, 'Status')
    .getByText(status, { exact: true })
    .waitFor({ state: 'visible', timeout });
}

function powerButton(page: Page, name: string): Locator {
  return page.getByRole('button', { name, exact: true });
}

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

describe('the VM page', () => {
  test(
    'an owner sees a running VM, stops it and starts it again',
    { timeout: 420_000 },
    async () => {
      const { appUrl, backendUrl, outputDir } = portalUrls();
      const vm = await vmEntity(backendUrl, 'team-web', 'web-frontend-1');
      const page = await browser.newPage({
        viewport: { width: 1400, height: 1000 },
      });
      const secrets = watchForSecrets(page);
      await signInAsGuest(page, appUrl);
      await page.goto(`${appUrl}/catalog/${entityPath(vm)}/virtual-machine`);

      await fact(page, 'Status').waitFor({
        state: 'visible',
        timeout: 60_000,
      });
      // A previous run that failed half-way may have left it stopped.
      if (await powerButton(page, 'Start').isVisible()) {
        await powerButton(page, 'Start').click();
      }
      await waitForStatus(page, 'Running');
      await page.getByText('Disks', { exact: true }).waitFor();
      await page.getByText('Network interfaces', { exact: true }).waitFor();
      await page.getByText('Recent events', { exact: true }).waitFor();
      const screenshot = join(outputDir, 'vm-page.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      keepScreenshotForDocs(screenshot, 'vm-page.png');

      await powerButton(page, 'Stop').click();
      const dialog = page.getByRole('dialog');
      await dialog
        .getByText(`Stop ${vm.metadata.annotations?.[ANNOTATION.name]}?`)
        .waitFor();
      await dialog.getByRole('button', { name: 'Stop', exact: true }).click();
      await dialog.waitFor({ state: 'hidden' });
      await waitForStatus(page, 'Stopped');
      assert.equal(
        await page.getByText(/did not reach/).count(),
        0,
        'the page reported a power action that did not finish',
      );

      await powerButton(page, 'Start').click();
      await waitForStatus(page, 'Running');
      await powerButton(page, 'Stop').waitFor();
      await page.screenshot({
        path: join(outputDir, 'vm-page-restarted.png'),
        fullPage: true,
      });
      // Everything the browser got on the way: the app, its config, every API answer.
      assert.ok(
        (await secrets.check()) > 10,
        'the page received fewer responses than it takes to show it',
      );
    },
  );

  test(
    "another team's VM: buttons disabled with the reason, and the API refuses",
    { timeout: 180_000 },
    async () => {
      const { appUrl, backendUrl, outputDir } = portalUrls();
      const vm = await vmEntity(backendUrl, 'team-payments', 'payments-api-1');
      const page = await browser.newPage({
        viewport: { width: 1400, height: 1000 },
      });
      await signInAsGuest(page, appUrl);

      // The guest's own token, as the browser sends it to the backend.
      const kubevirtRequest = page.waitForRequest(
        async request =>
          request.url().startsWith(`${backendUrl}/api/kubevirt/`) &&
          Boolean(await request.headerValue('authorization')),
        { timeout: 60_000 },
      );
      await page.goto(`${appUrl}/catalog/${entityPath(vm)}/virtual-machine`);
      const authorization = await (
        await kubevirtRequest
      ).headerValue('authorization');
      assert.ok(authorization?.startsWith('Bearer '));

      await waitForStatus(page, 'Running', 60_000);
      const stop = powerButton(page, 'Stop');
      await stop.waitFor();
      assert.equal(
        await stop.isDisabled(),
        true,
        'Stop is enabled for a non-owner',
      );
      assert.equal(await powerButton(page, 'Restart').isDisabled(), true);
      await page
        .getByText(/^Only .*team-payments.*/)
        .first()
        .waitFor({ state: 'visible' });
      await page.screenshot({
        path: join(outputDir, 'vm-page-not-owner.png'),
        fullPage: true,
      });

      const response = await fetch(
        `${backendUrl}/api/kubevirt/v1/entities/${entityPath(vm)}/power`,
        {
          method: 'POST',
          headers: {
            Authorization: authorization!,
            'Content-Type': 'application/json',
          },
          body: JSON.stringify({ action: 'stop' }),
        },
      );
      const body = await response.text();
      assert.equal(
        response.status,
        403,
        `a non-owner's stop answered ${response.status}: ${body}`,
      );
      assert.match(
        body,
        /Only members of group:default\/team-payments can stop/,
      );
    },
  );

  test(
    'the request form shows the quota and refuses a size that does not fit',
    { timeout: 180_000 },
    async () => {
      const { appUrl, backendUrl, outputDir } = portalUrls();
      const templates = await catalogEntities(backendUrl, 'kind=template');
      const template = templates.find(
        t => t.metadata.title === 'Request a virtual machine',
      );
      assert.ok(
        template,
        'the "Request a virtual machine" template is not in the catalog',
      );
      const cluster = (await vmEntity(backendUrl, 'team-web', 'web-frontend-1'))
        .metadata.annotations?.[ANNOTATION.cluster];
      assert.ok(cluster);

      const page = await browser.newPage({
        viewport: { width: 1400, height: 1000 },
      });
      await signInAsGuest(page, appUrl);
      // The scaffolder prefills a form from `formData` in the query.
      const formData = {
        name: 'e2e-size-check',
        owner: 'group:default/team-web',
        cluster,
        namespace: 'team-web',
        os: FEDORA_CONTAINER_DISK,
      };
      await page.goto(
        `${appUrl}/create/templates/${
          template.metadata.namespace ?? 'default'
        }/${template.metadata.name}?formData=${encodeURIComponent(
          JSON.stringify(formData),
        )}`,
      );
      await page.locator('form').first().waitFor({ timeout: 60_000 });

      // Move on until the size picker shows (the template decides the steps before it).
      const size = page.getByRole('combobox', { name: /Size/ });
      for (let step = 0; !(await size.isVisible()); step++) {
        assert.ok(
          step < 5,
          'no size picker within five steps: does the template need fields this test does not prefill?',
        );
        await page.getByRole('button', { name: 'Next' }).click();
        await size.waitFor({ timeout: 15_000 }).catch(() => undefined);
      }
      await size.waitFor({ timeout: 30_000 });
      await size.locator('option[value]:not([value=""])').first().waitFor({
        state: 'attached',
        timeout: 30_000,
      });

      // The sizes with their vCPUs, from the options' labels ("u1.2xlarge · 8 vCPUs · 32Gi").
      const options = await size
        .locator('option[value]:not([value=""])')
        .evaluateAll(elements =>
          elements.map(element => ({
            value: (element as HTMLOptionElement).value,
            vcpus: Number(
              /(\d+) vCPU/.exec(element.textContent ?? '')?.[1] ?? 0,
            ),
          })),
        );
      options.sort((a, b) => a.vcpus - b.vcpus);
      const largest = options[options.length - 1];
      // Dedicated-CPU sizes (cx1.*) ask for whole cores, so the smallest that surely
      // fits is the general-purpose (u1.*) one with the fewest vCPUs.
      const smallest = options.find(o => o.value.startsWith('u1.'));
      assert.ok(smallest, 'no general-purpose (u1.*) size in the picker');

      await size.selectOption(largest.value);
      await page
        .getByRole('progressbar', { name: /does not fit/ })
        .first()
        .waitFor({ timeout: 30_000 });
      await page.screenshot({
        path: join(outputDir, 'vm-request-quota.png'),
        fullPage: true,
      });
      await page.getByRole('button', { name: /^(Next|Review)$/ }).click();
      // The form's own error list (the quota card says "does not fit" already):
      // Next validates asynchronously, and the scaffolder puts back the values it
      // validated when it is done, so nothing may change before this shows.
      await page
        .getByText(
          new RegExp(
            `'Size' ${largest.value.replace(
              '.',
              '\\.',
            )} does not fit the quota of team-web`,
          ),
        )
        .first()
        .waitFor({ timeout: 30_000 });
      assert.equal(
        await size.isVisible(),
        true,
        'the form moved on with a size that does not fit',
      );

      await size.selectOption(smallest.value);
      await page
        .getByText(`${smallest.value} fits the quota of team-web.`)
        .waitFor({ timeout: 30_000 });
      assert.ok(
        (await page.getByRole('progressbar').count()) > 0,
        'no quota bars for a size that fits',
      );
    },
  );
});
