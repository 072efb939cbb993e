import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Browser } from 'playwright-core';
import {
  cluster,
  kube,
  launchBrowser,
  portalUrls,
  signInAsGuest,
  vmEntity,
} from './portal';

const east = cluster('demo-east');
/** team-data's quota allows 96Gi of memory requests; this VM asks for more. */
const VM = { namespace: 'team-data', name: 'e2e-too-big' };
const VM_PATH = `/apis/kubevirt.io/v1/namespaces/${VM.namespace}/virtualmachines`;

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await kube(east, 'DELETE', `${VM_PATH}/${VM.name}`).catch(() => undefined);
});

test("the VM page says why a VM does not run: the namespace's quota, by how much, and the fix", async () => {
  const { appUrl, outputDir } = portalUrls();
  // Created as with kubectl: a VM whose launcher pod the quota refuses.
  await kube(east, 'POST', VM_PATH, {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { ...VM, labels: { 'vmportal.io/owner': 'team-data' } },
    spec: {
      runStrategy: 'Always',
      template: {
        spec: {
          domain: {
            cpu: { cores: 2 },
            memory: { guest: '200Gi' },
            devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }] },
          },
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
  const entity = await vmEntity(VM.name, east.name);

  const page = await browser.newPage({
    viewport: { width: 1400, height: 1000 },
  });
  await signInAsGuest(page, appUrl);
  await page.goto(
    `${appUrl}/catalog/default/component/${entity.metadata.name}/virtual-machine`,
  );
  const why = page.getByRole('region', { name: 'Why is it not running?' });
  await why.waitFor({ state: 'visible', timeout: 90_000 });
  const text = await why.innerText();
  // Which quota, which resource, by how much (the plan's arithmetic), and the fix.
  assert.match(text, /ResourceQuota team-quota/);
  assert.match(
    text,
    /requests\.memory short by [\d.]+ GiB \(needs [\d.]+ GiB, [\d.]+ GiB free\)/,
  );
  assert.match(text, /raise|smaller|Stop/i, `no fix in: ${text}`);
  await page.screenshot({
    path: join(outputDir, 'vm-why-not-running.png'),
    fullPage: true,
  });
});
