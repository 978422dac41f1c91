import { test, expect, Page } from '@playwright/test';
import { composeRepo, createAndDeploy, hydrated, removeProjectContainers, signInFresh } from './helpers';

// A service printing a numbered line every half second (`$$`: compose would read `$i`).
function tickerRepo(): string {
  return composeRepo('nsm-e2e-ticker-', [
    'services:',
    '  ticker:',
    '    image: nsm-local/busybox:latest',
    '    init: true',
    '    command: ["sh", "-c", "i=0; while :; do i=$$((i+1)); echo \\"tick $$i\\"; sleep 0.5; done"]',
  ]);
}

async function setCollectLogs(page: Page, id: string, on: boolean) {
  await page.goto(`/projects/${id}/services`);
  await hydrated(page);
  const row = page.locator('[data-service="ticker"]');
  await expect(row.getByTestId('service-actual')).toHaveText('running');
  await row.locator('input[name="collect_logs"]').setChecked(on);
  const saved = page.waitForResponse((r) => r.url().includes('/api/fn/update_service'));
  await row.getByRole('button', { name: 'Save' }).click();
  expect((await saved).ok()).toBe(true);
  // Stored: a fresh page says so.
  await page.reload();
  await hydrated(page);
  await expect(page.locator('[data-service="ticker"] input[name="collect_logs"]')).toBeChecked({ checked: on });
}

async function newestId(page: Page, id: string): Promise<number> {
  const response = await page.request.get(`/api/v1/projects/${id}/logs?limit=1`);
  expect(response.ok()).toBe(true);
  const lines = await response.json();
  return lines.length > 0 ? lines[lines.length - 1].id : 0;
}

test('the Logs tab follows a service live, searches, downloads, and stops when collection is off', async ({ page }) => {
  test.setTimeout(240_000);
  const id = `e2e-logs-${Date.now() % 100000}`;
  try {
    await signInFresh(page);
    await createAndDeploy(page, id, tickerRepo());

    // Before collection is on, the tab says why it is empty.
    await page.getByRole('tab', { name: 'Logs' }).click();
    await hydrated(page);
    await expect(page.locator('[data-log-service="ticker"]').getByTestId('log-not-collected')).toBeVisible();
    await expect(page.getByTestId('log-empty')).toContainText('No service collects logs');

    await setCollectLogs(page, id, true);
    await page.getByRole('tab', { name: 'Logs' }).click();
    await hydrated(page);
    await expect(page.getByTestId('log-follow')).toBeChecked();
    await expect(page.getByTestId('log-not-collected')).toHaveCount(0);

    // Lines arrive live, without a reload.
    const texts = page.getByTestId('log-text');
    await expect(texts.first()).toHaveText(/^tick \d+$/, { timeout: 20_000 });
    const seen = await texts.last().textContent();
    await expect(texts.last()).not.toHaveText(seen ?? '', { timeout: 10_000 });
    await expect(page.getByTestId('log-live')).toBeVisible();
    await expect(page.getByTestId('log-line').first().getByTestId('log-service')).toHaveText('ticker');
    await expect.poll(() => texts.count(), { timeout: 10_000 }).toBeGreaterThan(5);
    await page.screenshot({ path: '/tmp/logs-tab.png', fullPage: true });

    // A search narrows the lines to those containing the text.
    const picked = (await texts.last().textContent()) ?? '';
    expect(picked).toMatch(/^tick \d+$/);
    await page.getByTestId('log-q').fill(picked);
    await page.getByTestId('log-q').press('Enter');
    await expect(texts.first()).toHaveText(picked);
    for (const text of await texts.allTextContents()) expect(text.startsWith(picked)).toBe(true);

    // The download has the same filters and holds that line.
    const href = await page.getByTestId('log-download').getAttribute('href');
    expect(href).toContain(`q=${encodeURIComponent(picked)}`);
    const download = await page.request.get(href ?? '');
    expect(download.ok()).toBe(true);
    expect(download.headers()['content-type']).toContain('text/plain');
    expect(await download.text()).toContain(` ticker stdout ${picked}\n`);

    // Collection off: nothing more is stored (after any batch already on its way).
    await setCollectLogs(page, id, false);
    await page.waitForTimeout(3_000);
    const before = await newestId(page, id);
    expect(before).toBeGreaterThan(0);
    await page.waitForTimeout(4_000);
    expect(await newestId(page, id)).toBe(before);
    await page.getByRole('tab', { name: 'Logs' }).click();
    await hydrated(page);
    await expect(page.locator('[data-log-service="ticker"]').getByTestId('log-not-collected')).toBeVisible();
  } finally {
    removeProjectContainers(id);
  }
});

test('Settings: the container log cap is saved, shown after a reload, and bad input is refused', async ({ page }) => {
  await signInFresh(page);
  await page.goto('/settings');
  await hydrated(page);
  const current = page.getByTestId('log-cap-current');
  await expect(current).toHaveText('50 MB');
  const input = page.getByLabel('Cap per service (MB)');
  await input.fill('2');
  await page.getByTestId('log-cap-form').getByRole('button', { name: 'Save' }).click();
  await expect(current).toHaveText('2 MB');
  await page.reload();
  await hydrated(page);
  await expect(current).toHaveText('2 MB');
  await expect(input).toHaveValue('2');

  await input.fill('abc');
  await page.getByTestId('log-cap-form').getByRole('button', { name: 'Save' }).click();
  await expect(page.locator('[data-error="megabytes"]')).toHaveText('give the cap in MB, a whole number');
  await expect(current).toHaveText('2 MB');
  await page.screenshot({ path: '/tmp/settings.png', fullPage: true });
  await page.reload();
  await hydrated(page);
  await expect(current).toHaveText('2 MB');

  // Back to the default, for specs after this one.
  await input.fill('50');
  await page.getByTestId('log-cap-form').getByRole('button', { name: 'Save' }).click();
  await expect(current).toHaveText('50 MB');
});
