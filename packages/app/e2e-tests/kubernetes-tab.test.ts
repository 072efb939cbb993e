import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Browser, Page } from 'playwright-core';
import {
  launchBrowser,
  portalUrls,
  signInAsGuest,
  watchForSecrets,
} from './portal';

interface CatalogEntity {
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    annotations?: Record<string, string>;
  };
}

interface ObjectsByEntity {
  items: Array<{
    cluster: { name: string };
    errors: unknown[];
    resources: Array<{
      type: string;
      resources: Array<{ kind?: string; metadata?: { name?: string } }>;
    }>;
  }>;
}

/** A seeded VM (kube-testenv's seedDemo.ts) that is running and that no test stops. */
const VM = { namespace: 'team-web', name: 'web-frontend-2' };

/**
 * Signs in as the guest and returns the bearer token the browser sends to the
 * backend, to call the APIs exactly as the page does.
 */
async function signInAndTakeToken(
  page: Page,
  appUrl: string,
  backendUrl: string,
): Promise<string> {
  const request = page.waitForRequest(
    async r =>
      r.url().startsWith(`${backendUrl}/api/catalog/`) &&
      Boolean(await r.headerValue('authorization')),
    { timeout: 60_000 },
  );
  request.catch(() => undefined); // awaited below, unless signing in fails first
  await signInAsGuest(page, appUrl);
  const authorization = await (await request).headerValue('authorization');
  if (!authorization?.startsWith('Bearer ')) {
    throw new Error('the browser sent the backend no bearer token');
  }
  return authorization;
}

async function vmEntity(
  backendUrl: string,
  authorization: string,
): Promise<CatalogEntity> {
  const filter = [
    'kind=component',
    'spec.type=virtual-machine',
    `metadata.annotations.kubevirt.vmportal.io/namespace=${VM.namespace}`,
    `metadata.annotations.kubevirt.vmportal.io/name=${VM.name}`,
  ].join(',');
  const response = await fetch(
    `${backendUrl}/api/catalog/entities/by-query?filter=${encodeURIComponent(
      filter,
    )}`,
    { headers: { Authorization: authorization } },
  );
  const body = await response.text();
  assert.equal(response.status, 200, `the catalog answered: ${body}`);
  const [entity, ...more] = (JSON.parse(body) as { items: CatalogEntity[] })
    .items;
  assert.ok(
    entity,
    `no virtual-machine Component for ${VM.namespace}/${VM.name}`,
  );
  assert.equal(more.length, 0, 'two Components for one VM');
  return entity;
}

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

describe("the stock Kubernetes tab of a VM, through the portal's reader", () => {
  test(
    'shows the virt-launcher pod and no problem retrieving objects; the proxy is refused',
    { timeout: 240_000 },
    async () => {
      const { appUrl, backendUrl, outputDir } = portalUrls();
      const page = await browser.newPage({
        viewport: { width: 1400, height: 1000 },
      });
      const secrets = watchForSecrets(page);
      const authorization = await signInAndTakeToken(page, appUrl, backendUrl);
      const entity = await vmEntity(backendUrl, authorization);
      const cluster =
        entity.metadata.annotations?.['backstage.io/kubernetes-cluster'];
      assert.ok(
        cluster,
        'the VM entity names no backstage.io/kubernetes-cluster',
      );

      await page.goto(
        `${appUrl}/catalog/${
          entity.metadata.namespace ?? 'default'
        }/component/${entity.metadata.name}/kubernetes`,
      );
      // The cluster's summary: its name and the count of the entity's pods.
      await page
        .getByText(cluster, { exact: true })
        .first()
        .waitFor({ state: 'visible', timeout: 90_000 });
      await page
        .getByText('1 pod', { exact: true })
        .first()
        .waitFor({ state: 'visible', timeout: 30_000 });
      await page.screenshot({
        path: join(outputDir, 'vm-kubernetes-tab.png'),
        fullPage: true,
      });
      assert.equal(
        await page.getByText(/problem retrieving/i).count(),
        0,
        'the Kubernetes tab reports a problem retrieving Kubernetes objects',
      );

      // What the tab shows, from the API it calls: the launcher pod, no errors.
      const response = await fetch(
        `${backendUrl}/api/kubernetes/services/${entity.metadata.name}`,
        {
          method: 'POST',
          headers: {
            Authorization: authorization,
            'Content-Type': 'application/json',
          },
          body: JSON.stringify({ entity }),
        },
      );
      const text = await response.text();
      assert.equal(response.status, 200, text);
      const { items } = JSON.parse(text) as ObjectsByEntity;
      assert.deepEqual(
        items.map(i => ({ cluster: i.cluster.name, errors: i.errors })),
        [{ cluster, errors: [] }],
      );
      const pods = items[0].resources
        .filter(r => r.type === 'pods')
        .flatMap(r => r.resources.map(p => p.metadata?.name));
      assert.equal(pods.length, 1, `pods: ${pods.join(', ')}`);
      assert.match(pods[0] ?? '', new RegExp(`^virt-launcher-${VM.name}-`));

      // The proxy would carry the user's request with the reader credential: denied.
      const proxied = await fetch(
        `${backendUrl}/api/kubernetes/proxy/api/v1/namespaces/${VM.namespace}/pods`,
        {
          headers: {
            Authorization: authorization,
            'Backstage-Kubernetes-Cluster': cluster,
          },
        },
      );
      assert.equal(
        proxied.status,
        403,
        `the Kubernetes proxy answered ${
          proxied.status
        }: ${await proxied.text()}`,
      );

      assert.ok(
        (await secrets.check()) > 10,
        'the page received fewer responses than it takes to show it',
      );
    },
  );
});
