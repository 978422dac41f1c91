import { test, expect } from '@playwright/test';
import { hydrated, signIn } from './helpers';

test('CI/CD: enable it, rotate the key, copy the snippet', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await signIn(page);
  const id = `e2e-ci-${Date.now() % 100000}`;
  await page.goto('/projects/new');
  await hydrated(page);
  await page.getByLabel('Project id').fill(id);
  await page.getByLabel('Repository owner').fill('acme');
  await page.getByLabel('Repository name').fill('shop');
  await page.getByRole('button', { name: 'Create project' }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${id}$`));

  await page.getByRole('tab', { name: 'Deployments' }).click();
  await hydrated(page);
  const panel = page.getByTestId('ci-panel');
  await expect(panel.getByTestId('ci-enabled')).not.toBeChecked();
  await panel.getByTestId('ci-enabled').check();
  await panel.getByRole('button', { name: 'Save' }).click();
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('ci-enabled')).toBeChecked();

  await page.getByTestId('rotate-deploy-key').click();
  const key = page.getByTestId('deploy-key');
  await expect(key).toHaveText(/^nsm_[0-9a-f]{64}$/);
  const first = await key.textContent();
  await page.getByTestId('rotate-deploy-key').click();
  await expect(key).not.toHaveText(first ?? '');

  const snippet = page.getByTestId('ci-snippet');
  await expect(snippet).toContainText('curl --fail');
  await expect(snippet).toContainText(`/api/v1/projects/${id}/deploy?wait=true`);
  await expect(snippet).toContainText('secrets.NSM_DEPLOY_KEY');
  await page.getByTestId('copy-snippet').click();
  await expect(page.getByTestId('copy-snippet')).toHaveText('Copied');
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toBe(await snippet.textContent());
});
