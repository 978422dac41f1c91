import { test, expect } from '@playwright/test';
import { composeRepo, hydrated, removeProjectContainers, signInFresh } from './helpers';

// The sync panel says what still needs the user against the configuration now: a
// variable the repository uses without a value is listed until a value is saved, then
// the panel says everything is configured. The header follows a deployment to its end.

test('Sync panel: a used variable without a value is listed until it is saved; the header follows the deployment', async ({ page }) => {
  test.setTimeout(180_000);
  const id = `e2e-sync-${Date.now() % 100000}`;
  const repo = composeRepo('nsm-e2e-sync-', ['services:', '  app:', '    image: nsm-local/busybox:latest',
    '    init: true', '    command: ["sleep", "3600"]', '    environment:', '      GREETING: "${GREETING}"']);
  await signInFresh(page);
  try {
    await page.goto('/projects/new');
    await hydrated(page);
    await page.getByLabel('Project id').fill(id);
    await page.getByLabel('…or a full git URL').fill(repo);
    await page.getByRole('button', { name: 'Create project' }).click();
    await expect(page).toHaveURL(new RegExp(`/projects/${id}$`));
    await hydrated(page);

    await page.getByRole('button', { name: 'Sync with repository' }).click();
    const panel = page.getByTestId('sync-result');
    await expect(panel).toContainText('compose.yaml');
    await expect(panel.getByTestId('sync-attention')).toContainText('GREETING is used by the repository but has no value');

    // A value saved on the Environment tab: the panel, still shown, forgets the item.
    await page.getByRole('tab', { name: 'Environment' }).click();
    await expect(page).toHaveURL(new RegExp(`/projects/${id}/environment$`));
    await hydrated(page);
    await page.locator('[data-variable="GREETING"]').getByTestId('variable-input').fill('hello');
    await page.keyboard.press('Control+s');
    await expect(page.getByTestId('unsaved')).toHaveCount(0);
    await expect(panel.getByTestId('sync-attention')).toHaveCount(0);
    await expect(panel.getByTestId('sync-attention-none')).toHaveText('Everything the repository uses is configured');

    // Deployed: the header ends on the deployment's final state, not a step of it.
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await page.getByTestId('plan-deploy').click();
    await expect(page).toHaveURL(new RegExp(`/projects/${id}/deployments/\\d+$`));
    await expect(page.getByTestId('deployment-state')).toHaveText('succeeded', { timeout: 150_000 });
    await expect(page.getByTestId('project-status')).toContainText(/last deployment #\d+ succeeded/);
    // Reloaded: the server-rendered header is already the final state.
    await page.reload();
    await hydrated(page);
    await expect(page.getByTestId('project-status')).toContainText(/last deployment #\d+ succeeded/);
  } finally {
    removeProjectContainers(id);
  }
});
