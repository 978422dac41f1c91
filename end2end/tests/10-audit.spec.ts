import { expect, test } from '@playwright/test';
import * as fs from 'fs';
import { hydrated, signInFresh, ADMIN } from './helpers';

// Settings → Audit log: a change made in the UI shows up with who made it and
// before → after; the kind filter keeps only its kind (and lives in the address);
// Export JSON downloads the same entries from /api/v1/audit.
test('an admin finds a change in the audit log, filters by kind and exports it as JSON', async ({ page }) => {
  await signInFresh(page);

  // A change: the container log cap, 50 → 7 MB.
  await page.goto('/settings');
  await hydrated(page);
  const current = page.getByTestId('log-cap-current');
  const before = (await current.textContent())?.trim() ?? '';
  await page.getByLabel('Cap per service (MB)').fill('7');
  await page.getByTestId('log-cap-form').getByRole('button', { name: 'Save' }).click();
  await expect(current).toHaveText('7 MB');

  // The log, unfiltered: the change is the newest entry; the account's own (setup or sign-in) is there too.
  await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Audit log' }).click();
  await expect(page).toHaveURL(/\/settings\/audit$/);
  await hydrated(page);
  const rows = page.getByTestId('audit-row');
  await expect(rows.first()).toHaveAttribute('data-kind', 'settings');
  await expect(page.locator('[data-testid="audit-row"]:is([data-kind="sign_in"], [data-kind="user"])').first()).toBeVisible();

  // Filtered by kind: only settings changes, the filter kept in the address.
  await page.getByTestId('audit-filters').getByLabel('Kind').selectOption('settings');
  await page.getByTestId('audit-filters').getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/[?&]kind=settings/);
  await hydrated(page);
  await expect(page.locator('[data-testid="audit-row"]:not([data-kind="settings"])')).toHaveCount(0);
  const change = rows.filter({ hasText: 'container log cap' }).first();
  await expect(change).toBeVisible();
  await expect(change).toContainText(ADMIN.username);
  await expect(change.getByTestId('audit-before')).toHaveText(`${before.replace(' MB', '')} MB per service`);
  await expect(change.getByTestId('audit-after')).toHaveText('7 MB per service');

  // Export JSON: the same filter, the same entries.
  const exportLink = page.getByTestId('audit-export');
  await expect(exportLink).toHaveAttribute('href', /\/api\/v1\/audit\?.*kind=settings/);
  const [download] = await Promise.all([page.waitForEvent('download'), exportLink.click()]);
  const file = await download.path();
  const exported = JSON.parse(fs.readFileSync(file, 'utf8'));
  expect(Array.isArray(exported.entries)).toBe(true);
  expect(exported.entries.length).toBeGreaterThan(0);
  expect(exported.entries.every((e: { kind: string }) => e.kind === 'settings')).toBe(true);
  const entry = exported.entries.find((e: { target: string }) => e.target === 'container log cap');
  expect(entry).toBeTruthy();
  expect(entry.user).toBe(ADMIN.username);
  expect(entry.after).toBe('7 MB per service');

  // Back to the default, for specs after this one.
  await page.goto('/settings');
  await hydrated(page);
  await page.getByLabel('Cap per service (MB)').fill('50');
  await page.getByTestId('log-cap-form').getByRole('button', { name: 'Save' }).click();
  await expect(current).toHaveText('50 MB');
});
