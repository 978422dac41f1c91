import { test, expect, Page } from '@playwright/test';
import { composeRepo, hydrated, signInFresh } from './helpers';

// The Environment editor: a Port variable linked to an API Service shows in the live
// .env preview (rendered in the browser), Ctrl/Cmd+S saves, and an imported .env shows
// its diff before anything is applied.

async function createProject(page: Page, id: string) {
  const repo = composeRepo('nsm-e2e-env-', ['services:', '  api:', '    image: nsm-local/busybox:latest',
    '    command: ["sh", "-c", "echo $${GREETING} && sleep 1"]', '    environment:', '      PORT: "${API_PORT}"']);
  await page.goto('/projects/new');
  await hydrated(page);
  await page.getByLabel('Project id').fill(id);
  await page.getByLabel('…or a full git URL').fill(repo);
  await page.getByRole('button', { name: 'Create project' }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${id}$`));
}

test('Environment: link a Port to an API Service, see it in the preview, import a .env and see the diff', async ({ page }) => {
  test.setTimeout(120_000);
  const id = `e2e-env-${Date.now() % 100000}`;
  const hostname = `${id}.e2e.test`;
  await signInFresh(page);
  await createProject(page, id);

  // An API Service at /api.
  await page.getByRole('tab', { name: 'Domains' }).click();
  await hydrated(page);
  await page.locator('#domain-hostname').fill(hostname);
  await page.getByTestId('add-domain').getByRole('button', { name: 'Add domain' }).click();
  const domain = page.locator(`[data-testid="domain"][data-hostname="${hostname}"]`);
  await expect(domain).toBeVisible();
  await domain.getByTestId('add-resource').click();
  const editor = domain.getByTestId('resource-editor');
  await editor.getByLabel('Path', { exact: true }).fill('/api');
  await editor.getByLabel('Type', { exact: true }).selectOption({ label: 'API Service' });
  await editor.getByTestId('save-resource').click();
  await expect(domain.locator('[data-testid="resource"][data-path="/api"][data-kind="api"]')).toBeVisible();

  // A new row, linked to the API's Port: the preview shows it as it is typed.
  await page.getByRole('tab', { name: 'Environment' }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${id}/environment$`));
  await hydrated(page);
  const preview = page.getByTestId('env-preview');
  await page.getByTestId('add-variable').click();
  const row = page.getByTestId('variable-row').last();
  await row.getByTestId('variable-name').fill('API_PORT');
  // Until it has a type that resolves, the row's line says why.
  await row.getByTestId('variable-kind').selectOption({ label: 'Port' });
  await expect(preview).toContainText('API_PORT="<assigned on first deploy>"');
  await expect(preview).toContainText(`the port of ${hostname}/api is assigned on the first deployment`);
  await expect(page.getByTestId('unsaved')).toBeVisible();

  // A name typed wrong shows the error at its line.
  await page.getByTestId('add-variable').click();
  const bad = page.getByTestId('variable-row').last();
  await bad.getByTestId('variable-name').fill('1BAD');
  await expect(preview.locator('[data-error-line="1BAD"]')).toContainText('must start with a letter');
  await bad.getByTestId('delete-variable').click();
  await expect(preview.locator('[data-error-line="1BAD"]')).toHaveCount(0);

  // Ctrl+S saves.
  await page.keyboard.press('Control+s');
  await expect(page.getByTestId('unsaved')).toHaveCount(0);
  await expect(page.locator('[data-variable="API_PORT"]')).toBeVisible();
  await expect(preview).toContainText('API_PORT="<assigned on first deploy>"');

  // Import a .env: the diff first, nothing applied until confirmed.
  await page.getByTestId('dotenv-import-text').fill('# from elsewhere\nexport GREETING="hello\\nworld"\nAPI_PORT=8080\n');
  await page.getByTestId('plan-dotenv-import').click();
  const diff = page.getByTestId('import-diff');
  await expect(diff.getByTestId('import-summary')).toHaveText('1 added, 1 changed, 0 unchanged');
  await expect(diff.locator('[data-import="GREETING"]')).toHaveAttribute('data-change', 'added');
  await expect(diff.locator('[data-import="API_PORT"]')).toHaveAttribute('data-change', 'changed');
  await expect(diff).not.toContainText('hello');
  await expect(page.locator('[data-variable="GREETING"]')).toHaveCount(0);
  await diff.getByTestId('apply-dotenv-import').click();
  await expect(page.locator('[data-variable="GREETING"]')).toBeVisible();
  await expect(preview).toContainText('GREETING="********"');
  await expect(preview).toContainText('API_PORT="********"');

  // A file that cannot be read says where.
  await page.getByTestId('dotenv-import-text').fill('OK=1\nBROKEN="no end\n');
  await page.getByTestId('plan-dotenv-import').click();
  await expect(page.getByTestId('import-error')).toContainText('line 2');
});
