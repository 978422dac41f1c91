import { test, expect, Page } from '@playwright/test';
import { composeRepo, createAndDeploy, hydrated, removeProjectContainers, signInFresh } from './helpers';

const SECRET = 'team-secret-never-shown';

/** Creates `username` with `role` on Settings → Users; answers the one-time password. */
async function createUser(page: Page, username: string, role: string): Promise<string> {
  await page.goto('/settings');
  await hydrated(page);
  const form = page.getByTestId('create-user-form');
  await form.getByLabel('Username').fill(username);
  await form.getByLabel('Role').selectOption(role);
  await form.getByRole('button', { name: 'Create user' }).click();
  const secret = page.getByTestId('secret-value');
  await expect(secret).toHaveText(/\S{16,}/);
  return (await secret.textContent())!.trim();
}

/** Signs in with a one-time password in a fresh context and chooses a password. */
async function firstSignIn(page: Page, username: string, oneTime: string) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(oneTime);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId('must-change')).toBeVisible();
  await hydrated(page);
  await page.getByLabel('Current password').fill(oneTime);
  await page.getByLabel('New password', { exact: true }).fill('my own password 1');
  await page.getByLabel('New password again').fill('my own password 1');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId('current-user')).toHaveText(username);
}

test('an admin adds a deployer and a viewer; each sees what the role allows', async ({ page, browser }) => {
  const id = 'team-e2e';
  const repo = composeRepo('nsm-e2e-team-', [
    'services:',
    '  web:',
    '    image: nsm-local/busybox:latest',
    '    command: ["sh", "-c", "while true; do sleep 1; done"]',
    '    environment:',
    '      API_KEY: ${API_KEY:-}',
  ]);
  try {
    await signInFresh(page);
    await createAndDeploy(page, id, repo);
    await page.goto(`/projects/${id}/environment`);
    await hydrated(page);
    // The one-variable form (the editor's rows above it have Name and Value fields too).
    await page.locator('#var-name').fill('API_KEY');
    await page.locator('#var-value').fill(SECRET);
    await page.getByRole('button', { name: 'Save variable' }).click();
    await expect(page.locator('[data-variable="API_KEY"]')).toBeVisible();

    const deployerPassword = await createUser(page, 'dee', 'deployer');
    const viewerPassword = await createUser(page, 'vic', 'viewer');
    await expect(page.getByTestId('users').locator('[data-user="dee"]')).toBeVisible();
    await page.screenshot({ path: 'test-results/team-users.png', fullPage: true });

    // The deployer deploys, but has no Settings.
    const deployerContext = await browser.newContext();
    const deployer = await deployerContext.newPage();
    await firstSignIn(deployer, 'dee', deployerPassword);
    await expect(deployer.getByRole('link', { name: 'Settings' })).toHaveCount(0);
    await deployer.goto(`/projects/${id}`);
    await hydrated(deployer);
    await deployer.getByRole('button', { name: 'Deploy', exact: true }).click();
    await deployer.getByTestId('plan-deploy').click();
    await expect(deployer).toHaveURL(new RegExp(`/projects/${id}/deployments/\\d+$`));
    await expect(deployer.getByTestId('deployment-state')).toHaveText('succeeded', { timeout: 150_000 });
    await deployer.goto('/settings');
    await hydrated(deployer);
    await expect(deployer.getByTestId('users-section')).toContainText('Only an administrator');
    await deployerContext.close();

    // The viewer sees names and kinds, no value, no Deploy, no editor.
    const viewerContext = await browser.newContext();
    const viewer = await viewerContext.newPage();
    await firstSignIn(viewer, 'vic', viewerPassword);
    await viewer.goto(`/projects/${id}/environment`);
    await hydrated(viewer);
    await expect(viewer.locator('[data-variable="API_KEY"]')).toBeVisible();
    await expect(viewer.getByRole('button', { name: 'Reveal' })).toHaveCount(0);
    await expect(viewer.getByRole('button', { name: 'Save variable' })).toHaveCount(0);
    await expect(viewer.getByRole('button', { name: 'Deploy' })).toHaveCount(0);
    expect(await viewer.content()).not.toContain(SECRET);
    await viewer.screenshot({ path: 'test-results/team-viewer.png', fullPage: true });
    await viewerContext.close();
  } finally {
    removeProjectContainers(id);
  }
});
