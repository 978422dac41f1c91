import { test, expect } from '@playwright/test';
import { ADMIN, hydrated, signIn } from './helpers';

// One server, one data directory: these run in order and build on each other.
test.describe.configure({ mode: 'serial' });

test('first run: setup creates the administrator', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/setup$/);
  await hydrated(page);
  await page.getByLabel('Username').fill(ADMIN.username);
  await page.getByLabel('Password', { exact: true }).fill('short');
  await expect(page.locator('[data-error="password"]')).toContainText('at least 10 characters');
  await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
  await page.getByLabel('Repeat password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Create administrator' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId('current-user')).toHaveText(ADMIN.username);

  // Setup is one-time: it now sends people to sign in.
  await page.context().clearCookies();
  await page.goto('/setup');
  await expect(page).toHaveURL(/\/login$/);
});

test('sign in: a wrong password gets one clear message; the right one gets in', async ({ page }) => {
  await page.goto('/projects');
  await expect(page).toHaveURL(/\/login$/);
  await hydrated(page);
  await page.getByLabel('Username').fill(ADMIN.username);
  await page.getByLabel('Password').fill('wrong password!');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Wrong username or password');
  await signIn(page);
});

test('projects: create, inline validation, edit, persist, delete', async ({ page }) => {
  await signIn(page);
  await page.getByRole('link', { name: 'Projects' }).first().click();
  await expect(page).toHaveURL(/\/projects$/);
  await expect(page.getByText('No projects yet')).toBeVisible();
  await page.getByRole('link', { name: 'New project' }).first().click();
  await expect(page).toHaveURL(/\/projects\/new$/);

  // The browser runs the shared crate's validation as the user types.
  await page.getByLabel('Project id').fill('Bad Id');
  await expect(page.locator('[data-error="id"]')).toContainText('must start with a lowercase letter or a digit');
  await page.getByLabel('Project id').fill('e2e-shop');
  await expect(page.locator('[data-error="id"]')).toHaveCount(0);
  await page.getByLabel('Repository owner').fill('acme');
  await page.getByLabel('Repository name').fill('shop');
  await page.getByLabel('Deployment timeout (seconds)').fill('5');
  await expect(page.locator('[data-error="timeout_secs"]')).toContainText('between 10 and 3600');
  await page.getByLabel('Deployment timeout (seconds)').fill('120');
  await page.getByRole('button', { name: 'Create project' }).click();

  await expect(page).toHaveURL(/\/projects\/e2e-shop$/);
  await expect(page.getByTestId('project-title')).toHaveText('e2e-shop');
  await expect(page.getByLabel('Deployment timeout (seconds)')).toHaveValue('120');

  // Edit, then reload: the change came from the database, not the page's memory.
  await page.getByLabel('Branch').fill('develop');
  await page.getByLabel('Allow CI/CD deployments').check();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByRole('button', { name: 'Save changes' })).toBeEnabled();
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel('Branch')).toHaveValue('develop');
  await expect(page.getByLabel('Allow CI/CD deployments')).toBeChecked();

  // A duplicate id is a field error from the server.
  await page.goto('/projects/new');
  await hydrated(page);
  await page.getByLabel('Project id').fill('e2e-shop');
  await page.getByLabel('Repository owner').fill('acme');
  await page.getByLabel('Repository name').fill('other');
  await page.getByRole('button', { name: 'Create project' }).click();
  await expect(page.locator('[data-error="id"]')).toContainText('already exists');

  // Delete asks for the id to be typed.
  await page.goto('/projects/e2e-shop');
  await hydrated(page);
  const remove = page.getByRole('button', { name: 'Delete project' });
  await expect(remove).toBeDisabled();
  await page.locator('#field-confirm').fill('e2e-shop');
  await expect(remove).toBeEnabled();
  await remove.click();
  await expect(page).toHaveURL(/\/projects$/);
  await expect(page.getByText('No projects yet')).toBeVisible();
});
