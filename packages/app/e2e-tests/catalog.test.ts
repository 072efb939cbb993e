import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Browser } from 'playwright-core';
import { launchBrowser, portalUrls, signInAsGuest } from './portal';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('the catalog shows the demo teams to a signed-in guest', async () => {
  const { appUrl, outputDir } = portalUrls();
  const page = await browser.newPage({
    viewport: { width: 1400, height: 900 },
  });
  await signInAsGuest(page, appUrl);
  // The front door leads to the catalog, which lives at /catalog like any Backstage's.
  await page.waitForURL(url => url.pathname === '/catalog');
  await page.goto(
    `${appUrl}/catalog?filters%5Bkind%5D=group&filters%5Buser%5D=all`,
  );
  await page
    .getByRole('heading', { name: 'All Groups (4)' })
    .first()
    .waitFor({ state: 'visible', timeout: 60_000 });
  const table = page.getByRole('table');
  for (const team of ['Platform team', 'Payments', 'Data', 'Web']) {
    assert.equal(
      await table.getByRole('link', { name: team, exact: true }).count(),
      1,
      `the demo team "${team}" is not listed`,
    );
  }
  await page.screenshot({
    path: join(outputDir, 'catalog-groups.png'),
    fullPage: true,
  });
});
