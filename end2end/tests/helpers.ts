import { expect, Page } from '@playwright/test';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const ADMIN = { username: 'admin', password: 'correct horse battery' };

/** The WASM app marks <body> once it has hydrated; interactive checks need it. */
export async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1, { timeout: 30_000 });
}

export async function signIn(page: Page) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Username').fill(ADMIN.username);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId('current-user')).toHaveText(ADMIN.username);
}

/** A git repository made here with one commit of `compose.yaml` (given as lines). */
export function composeRepo(prefix: string, composeLines: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.writeFileSync(path.join(dir, 'compose.yaml'), [...composeLines, ''].join('\n'));
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.com', ...args], { cwd: dir });
  git('init', '-q', '--initial-branch', 'main');
  git('add', '-A');
  git('commit', '-qm', 'app');
  return dir;
}

/** Signs in, creating the administrator first when the server is fresh (a spec run alone). */
export async function signInFresh(page: Page) {
  await page.goto('/');
  if (/\/setup$/.test(page.url())) {
    await hydrated(page);
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    await page.getByLabel('Repeat password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await expect(page.getByTestId('current-user')).toHaveText(ADMIN.username);
    return;
  }
  await signIn(page);
}

/** Creates project `id` from git repository `repo`, deploys it and waits for success. */
export async function createAndDeploy(page: Page, id: string, repo: string) {
  await page.goto('/projects/new');
  await hydrated(page);
  await page.getByLabel('Project id').fill(id);
  await page.getByLabel('…or a full git URL').fill(repo);
  await page.getByRole('button', { name: 'Create project' }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${id}$`));
  await hydrated(page);
  // Deploy shows the plan first; its own button deploys.
  await page.getByRole('button', { name: 'Deploy', exact: true }).click();
  await page.getByTestId('plan-deploy').click();
  await expect(page).toHaveURL(new RegExp(`/projects/${id}/deployments/\\d+$`));
  const state = page.getByTestId('deployment-state');
  // Ended either way, then it must be a success (a failure shows at once, not after the timeout).
  await expect(state).toHaveText(/^(succeeded|failed|timed[ _]out|cancelled)$/, { timeout: 150_000 });
  await expect(state).toHaveText('succeeded');
}

/** Removes project `id`'s containers (for a finally block: a spec leaves none running). */
export function removeProjectContainers(id: string) {
  const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=nsm-${id}`])
    .toString().trim().split(/\s+/).filter(Boolean);
  if (ids.length > 0) execFileSync('docker', ['rm', '-f', ...ids]);
}
