import { test, expect } from '@playwright/test';
import { composeRepo, hydrated, signIn } from './helpers';

// A repository made here with git, its image built locally by the worker.
function fixtureRepo(): string {
  return composeRepo('nsm-e2e-repo-', [
    'services:',
    '  web:',
    '    image: nsm-local/busybox:latest',
    '    init: true',
    '    command: ["sh", "-c", "echo \\"greeting: $$GREETING\\"; exec sleep 3600"]',
    '    environment:',
    '      GREETING: "${GREETING}"',
  ]);
}

test('add a variable, deploy, watch the live log reach success, see the service running', async ({ page }) => {
  test.setTimeout(180_000);
  const repo = fixtureRepo();
  const id = `e2e-app-${Date.now() % 100000}`;
  await signIn(page);

  await page.goto('/projects/new');
  await hydrated(page);
  await page.getByLabel('Project id').fill(id);
  await page.getByLabel('…or a full git URL').fill(repo);
  await page.getByRole('button', { name: 'Create project' }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${id}$`));

  // Environment: add a variable; its value stays masked until revealed.
  await page.getByRole('tab', { name: 'Environment' }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${id}/environment$`));
  await hydrated(page);
  await page.getByLabel('Name').fill('GREETING');
  await page.getByLabel('Value', { exact: true }).fill('hello from playwright');
  await page.getByRole('button', { name: 'Save variable' }).click();
  const row = page.locator('[data-variable="GREETING"]');
  await expect(row).toBeVisible();
  await expect(row.getByTestId('variable-value')).toHaveText('••••••••');
  await row.getByRole('button', { name: 'Reveal' }).click();
  await expect(row.getByTestId('variable-value')).toHaveText('hello from playwright');

  // Deploy: the page follows the new deployment and its log streams in.
  await page.getByRole('button', { name: 'Deploy' }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${id}/deployments/\\d+$`));
  const log = page.getByTestId('deployment-log');
  await expect(log).toContainText('queued', { timeout: 30_000 });
  await expect(page.getByTestId('deployment-state')).toHaveText('succeeded', { timeout: 150_000 });
  await expect(log).toContainText('succeeded');
  await expect(page.getByTestId('deployment-env')).toContainText('GREETING=');
  await expect(page.getByTestId('deployment-env')).not.toContainText('playwright');

  // Services: the web service is running.
  await page.getByRole('tab', { name: 'Services' }).click();
  await expect(page.locator('[data-service="web"] [data-testid="service-actual"]')).toHaveText('running');

  // Leave nothing running.
  await page.getByRole('button', { name: 'Teardown' }).click();
  await expect(page.getByRole('button', { name: 'Teardown' })).toBeEnabled({ timeout: 60_000 });
});
