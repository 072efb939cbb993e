// The VM page's console, live migration and snapshots, in chromium, on a VM made by
// hand in the guest's team's namespace (masquerade: KubeVirt can live-migrate it):
// 1. log in on the serial console (xterm.js) with the password its cloud-init sets,
//    and see noVNC draw the VNC framebuffer;
// 2. a migration the namespace's quota would not admit is refused before it starts,
//    naming the quota; then the VM is migrated and its node changes;
// 3. a snapshot is taken, the VM stopped, restored from it, and started again.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Browser, Page } from 'playwright-core';
import {
  cluster,
  kube,
  launchBrowser,
  portalUrls,
  signInAsGuest,
  vmEntity,
  waitFor,
} from './portal';

const east = cluster('demo-east');
const NAMESPACE = 'team-web';
const suffix = randomBytes(3).toString('hex');
const NAME = `ops-${suffix}`;
const PASSWORD = `e2e-${randomBytes(6).toString('hex')}`;
const VM_PATH = `/apis/kubevirt.io/v1/namespaces/${NAMESPACE}/virtualmachines`;
const VMI_PATH = `/apis/kubevirt.io/v1/namespaces/${NAMESPACE}/virtualmachineinstances`;
const QUOTA_PATH = `/api/v1/namespaces/${NAMESPACE}/resourcequotas`;
const TIGHT_QUOTA = `e2e-no-room-${suffix}`;

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await kube(east, 'DELETE', `${QUOTA_PATH}/${TIGHT_QUOTA}`).catch(
    () => undefined,
  );
  await kube(east, 'DELETE', `${VM_PATH}/${NAME}`).catch(() => undefined);
});

const vmStatus = async () =>
  (
    await kube<{ status?: { printableStatus?: string } }>(
      east,
      'GET',
      `${VM_PATH}/${NAME}`,
    )
  ).status?.printableStatus;

const vmiNode = async () =>
  (
    await kube<{ status?: { nodeName?: string } }>(
      east,
      'GET',
      `${VMI_PATH}/${NAME}`,
    )
  ).status?.nodeName;

/** The text a region of the page shows, once it matches `pattern`. */
async function waitForText(page: Page, region: string, pattern: RegExp) {
  await waitFor(`${pattern} in ${region}`, 60_000, async () => {
    // xterm.js renders spaces as no-break spaces.
    const text = (
      await page.getByRole('region', { name: region }).innerText()
    ).replace(/\u00a0/g, ' ');
    if (pattern.test(text)) return true;
    // Named in the timeout's message: what the terminal showed instead.
    throw new Error(`it shows ${JSON.stringify(text.trim().slice(-300))}`);
  });
}

const ESCAPES = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/** The last `count` lines of a log that name this VM and match `about`, without colours. */
function logLines(file: string | undefined, about: RegExp, count: number) {
  if (!file || !existsSync(file)) return [`(no log at ${file})`];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(line => line.includes(NAME) && about.test(line))
    .slice(-count)
    .map(line => line.replace(ESCAPES, '').slice(0, 300));
}

/**
 * Waits for the console's status line to say "Connected". On timeout the error names
 * what the console showed instead (its status line, or the reason it was refused),
 * whether the Console section was open, and what the backend and the KubeVirt
 * simulator logged about this VM's console; a screenshot is left.
 */
async function waitForConnected(page: Page, what: string) {
  const consoleArea = page.locator('#kubevirt-vm-console');
  try {
    await waitFor(`the ${what} to connect`, 60_000, async () => {
      const status = (await consoleArea.getByRole('status').allInnerTexts())
        .join(' ')
        .trim();
      if (/^Connected/.test(status)) return true;
      const refused = (await consoleArea.getByRole('alert').allInnerTexts())
        .join(' ')
        .trim();
      const open = await page
        .getByRole('button', { name: 'Console' })
        .getAttribute('aria-expanded');
      throw new Error(
        `it shows ${JSON.stringify(status || refused)} (Console open: ${open})`,
      );
    });
  } catch (error) {
    await page.screenshot({
      path: join(
        portalUrls().outputDir,
        `vm-console-${what.replace(/ /g, '-')}-failed.png`,
      ),
      fullPage: true,
    });
    const kubeDir = process.env.E2E_KUBE_DIR;
    throw new Error(
      [
        error instanceof Error ? error.message : String(error),
        'backend:',
        ...logLines(process.env.E2E_BACKEND_LOG, /console/i, 8),
        'KubeVirt simulator:',
        ...logLines(kubeDir && join(kubeDir, 'kubevirt-simulator.log'), /./, 8),
      ].join('\n'),
    );
  }
}

async function typeInTerminal(page: Page, text: string) {
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

test('console, migration and snapshots of a VM from its page', async () => {
  const { appUrl, outputDir } = portalUrls();
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
          domain: {
            devices: {
              disks: [
                { name: 'root', disk: {} },
                { name: 'cloudinit', disk: {} },
              ],
              interfaces: [{ name: 'default', masquerade: {} }],
            },
          },
          networks: [{ name: 'default', pod: {} }],
          volumes: [
            {
              name: 'root',
              containerDisk: { image: 'quay.io/containerdisks/fedora:41' },
            },
            {
              name: 'cloudinit',
              cloudInitNoCloud: {
                userData: `#cloud-config\nuser: ops\npassword: ${PASSWORD}\nchpasswd: { expire: False }\n`,
              },
            },
          ],
        },
      },
    },
  });
  const entity = await vmEntity(NAME, east.name);
  await waitFor(`${NAME} running`, 120_000, async () =>
    (await vmStatus()) === 'Running' ? true : undefined,
  );
  const vmPage = `${appUrl}/catalog/default/component/${entity.metadata.name}/virtual-machine`;

  const page = await browser.newPage({
    viewport: { width: 1400, height: 1000 },
  });
  await signInAsGuest(page, appUrl);
  await page.goto(vmPage);

  // 1. The serial console: the getty's prompt, a login with cloud-init's password.
  // Clicked again while the section shows closed (a click made as the page appears
  // can be lost, as one Review click in vm-day-two was), as a person would.
  const consoleSection = page.getByRole('button', { name: 'Console' });
  await waitFor('the Console section to open', 60_000, async () => {
    if ((await consoleSection.getAttribute('aria-expanded')) === 'true') {
      return true;
    }
    await consoleSection.click({ timeout: 5_000 });
    return undefined;
  });
  await waitForConnected(page, 'serial console');
  await page.screenshot({
    path: join(outputDir, 'vm-console-connected.png'),
    fullPage: true,
  });
  // As a person would, bring the terminal into view: xterm.js draws nothing while
  // it is out of the viewport (it pauses on an IntersectionObserver), and the
  // full-page screenshot above showed it only while it was taken.
  await page
    .getByRole('region', { name: `Serial console of ${NAME}` })
    .scrollIntoViewIfNeeded();
  await page.getByRole('textbox', { name: 'Terminal input' }).focus();
  await page.keyboard.press('Enter');
  await waitForText(page, `Serial console of ${NAME}`, /login:/);
  await typeInTerminal(page, 'ops');
  await waitForText(page, `Serial console of ${NAME}`, /Password:/);
  await typeInTerminal(page, PASSWORD);
  await typeInTerminal(page, 'whoami');
  await waitForText(page, `Serial console of ${NAME}`, /whoami\s+ops\b/);
  await page.screenshot({
    path: join(outputDir, 'vm-console-serial.png'),
    fullPage: true,
  });

  // The VNC display: noVNC draws the framebuffer (the VM's name on a background).
  await page.getByRole('tab', { name: 'VNC' }).click();
  await waitForConnected(page, 'VNC display');
  await waitFor('noVNC to draw the framebuffer', 60_000, async () => {
    const colours = await page
      .getByRole('region', { name: `VNC display of ${NAME}` })
      .locator('canvas')
      .first()
      .evaluate((canvas: HTMLCanvasElement) => {
        const context = canvas.getContext('2d');
        if (!context || canvas.width === 0) return 0;
        const { data } = context.getImageData(
          0,
          0,
          canvas.width,
          canvas.height,
        );
        const seen = new Set<number>();
        for (let i = 0; i < data.length && seen.size < 3; i += 4 * 7) {
          seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
        }
        return seen.size;
      });
    return colours >= 2 ? true : undefined;
  });
  await page.screenshot({
    path: join(outputDir, 'vm-console-vnc.png'),
    fullPage: true,
  });
  await page.getByRole('button', { name: 'Console' }).click();

  // 2. A migration the quota would not admit: refused before the click, naming it.
  const used = await kube<{ status?: { used?: Record<string, string> } }>(
    east,
    'GET',
    `${QUOTA_PATH}/team-quota`,
  );
  await kube(east, 'POST', QUOTA_PATH, {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: TIGHT_QUOTA, namespace: NAMESPACE },
    spec: {
      hard: { 'requests.memory': used.status?.used?.['requests.memory'] },
    },
  });
  try {
    await page.reload();
    await page
      .getByText(
        new RegExp(
          `ResourceQuota ${TIGHT_QUOTA}: the target launcher pod needs`,
        ),
      )
      .waitFor({ timeout: 60_000 });
    assert.equal(
      await page
        .getByRole('button', { name: 'Migrate', exact: true })
        .isDisabled(),
      true,
      'Migrate is enabled although the quota would leave the migration Pending',
    );
    await page.screenshot({
      path: join(outputDir, 'vm-migration-refused.png'),
      fullPage: true,
    });
  } finally {
    await kube(east, 'DELETE', `${QUOTA_PATH}/${TIGHT_QUOTA}`);
  }

  // Then it fits: migrate, and the VM runs on another node.
  const fromNode = await vmiNode();
  await page.reload();
  const migrate = page.getByRole('button', { name: 'Migrate', exact: true });
  await waitFor('Migrate enabled', 60_000, async () =>
    (await migrate.isEnabled()) ? true : undefined,
  );
  await migrate.click();
  await page
    .getByText(/Last migration \S+ succeeded/)
    .waitFor({ timeout: 120_000 });
  const toNode = await vmiNode();
  assert.notEqual(toNode, fromNode, 'the VM did not change node');
  await page.getByText(`moved from ${fromNode} to ${toNode}`).waitFor();
  // The Launcher pod card follows the VM: it shows the pod on the new node, not
  // the source pod that ran it before the hand-over.
  const pods = await kube<{
    items: { metadata: { name: string }; spec?: { nodeName?: string } }[];
  }>(
    east,
    'GET',
    `/api/v1/namespaces/${NAMESPACE}/pods?labelSelector=${encodeURIComponent(
      `vm.kubevirt.io/name=${NAME}`,
    )}`,
  );
  const target = pods.items.find(p => p.spec?.nodeName === toNode);
  assert.ok(target, `no launcher pod of ${NAME} on ${toNode}`);
  await page.getByText(target.metadata.name, { exact: true }).first().waitFor();
  await page.screenshot({
    path: join(outputDir, 'vm-migrated.png'),
    fullPage: true,
  });

  // 3. Snapshot, stop, restore, start.
  await page.getByRole('button', { name: 'Take snapshot' }).click();
  await page.getByText('Succeeded', { exact: true }).first().waitFor({
    timeout: 60_000,
  });
  await page.getByRole('button', { name: 'Stop', exact: true }).first().click();
  const stopDialog = page.getByRole('dialog');
  await stopDialog.getByRole('button', { name: 'Stop', exact: true }).click();
  await stopDialog.waitFor({ state: 'hidden' });
  await waitFor(`${NAME} stopped`, 120_000, async () =>
    (await vmStatus()) === 'Stopped' ? true : undefined,
  );
  const restore = page
    .getByRole('button', { name: 'Restore', exact: true })
    .first();
  await waitFor('Restore enabled', 60_000, async () =>
    (await restore.isEnabled()) ? true : undefined,
  );
  await restore.click();
  const restoreDialog = page.getByRole('dialog');
  await restoreDialog
    .getByText(/configuration is replaced with the one saved in the snapshot/)
    .waitFor();
  await restoreDialog
    .getByRole('button', { name: 'Restore', exact: true })
    .click();
  await page.getByText('Complete', { exact: true }).first().waitFor({
    timeout: 120_000,
  });
  await page
    .getByRole('button', { name: 'Start', exact: true })
    .first()
    .click();
  await waitFor(`${NAME} running again`, 120_000, async () =>
    (await vmStatus()) === 'Running' ? true : undefined,
  );
  await page.screenshot({
    path: join(outputDir, 'vm-snapshot-restored.png'),
    fullPage: true,
  });
});
