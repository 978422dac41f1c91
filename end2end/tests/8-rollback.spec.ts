import { test, expect, Page } from '@playwright/test';
import { execFileSync } from 'child_process';
import { EDGE_HTTPS_PORT } from '../ports';
import { composeRepo, hydrated, removeProjectContainers, signInFresh } from './helpers';

// One service writing the page the Static Page serves: the greeting it was deployed with.
function fixtureRepo(): string {
  return composeRepo('nsm-e2e-rollback-', ['services:', '  web:', '    image: nsm-local/busybox:latest',
    '    init: true', '    command: ["sh", "-c", "echo \\"<p>$$GREETING</p>\\" > /out/index.html && exec sleep 3600"]',
    '    environment:', '      GREETING: "${GREETING}"',
    '    volumes:', '      - "${SITE_DIR}:/out"']);
}

/** What nginx answers for `https://hostname/` on the managed edge. */
function served(hostname: string): string {
  return execFileSync('curl', ['-sk', '--max-time', '10', '--resolve', `${hostname}:${EDGE_HTTPS_PORT}:127.0.0.1`,
    `https://${hostname}:${EDGE_HTTPS_PORT}/`], { encoding: 'utf8' });
}

/** The REST API with the browser's session. */
async function api(page: Page, method: 'POST' | 'PUT', path: string, data: object) {
  const response = await page.request.fetch(path, { method, data });
  expect(response.ok(), `${method} ${path}: ${response.status()} ${await response.text()}`).toBeTruthy();
  return response.json();
}

async function waitForSuccess(page: Page) {
  await expect(page).toHaveURL(/\/deployments\/\d+$/);
  const state = page.getByTestId('deployment-state');
  await expect(state).toHaveText(/^(succeeded|failed|timed[ _]out|cancelled)$/, { timeout: 150_000 });
  await expect(state).toHaveText('succeeded');
  return Number(page.url().split('/').pop());
}

test('Plan and rollback: change a value, see it in the plan, deploy, roll back from the history', async ({ page }) => {
  test.setTimeout(300_000);
  const id = `e2e-back-${Date.now() % 100000}`;
  const hostname = `${id}.e2e.test`;
  await signInFresh(page);
  try {
    // The configuration through the REST API (the Environment tab has its own spec).
    await api(page, 'POST', '/api/v1/projects', { id, repo_url: fixtureRepo(), branch: 'main' });
    const domain = await api(page, 'POST', `/api/v1/projects/${id}/domains`, { hostname });
    const resource = await api(page, 'POST', `/api/v1/projects/${id}/domains/${domain.id}/resources`, { path: '/', kind: 'static' });
    await api(page, 'PUT', `/api/v1/projects/${id}/variables/SITE_DIR`, { kind: 'directory', target_id: resource.id });
    await api(page, 'PUT', `/api/v1/projects/${id}/variables/GREETING`, { kind: 'plain', value: 'first version' });

    // Deploy opens the plan: nothing succeeded yet, so everything is new.
    await page.goto(`/projects/${id}`);
    await hydrated(page);
    await page.getByTestId('deploy').click();
    const plan = page.getByTestId('plan');
    await expect(plan).toContainText('No deployment has succeeded yet');
    await expect(plan.getByTestId('plan-variables')).toContainText('GREETING');
    await plan.getByTestId('plan-deploy').click();
    const first = await waitForSuccess(page);
    expect(served(hostname)).toContain('first version');

    // Nothing changed since: the plan says so, and Cancel closes it.
    await page.getByTestId('deploy').click();
    await expect(plan.getByTestId('plan-empty')).toHaveText('Nothing changed.');
    await plan.getByTestId('plan-cancel').click();
    await expect(plan).toHaveCount(0);

    // A changed value: exactly that in the plan, the value itself never shown.
    await api(page, 'PUT', `/api/v1/projects/${id}/variables/GREETING`, { kind: 'plain', value: 'second version' });
    await page.getByTestId('deploy').click();
    await expect(plan.getByTestId('plan-variables').getByTestId('plan-row')).toHaveCount(1);
    await expect(plan.getByTestId('plan-variables')).toContainText('GREETING');
    await expect(plan.getByTestId('plan-variables')).toContainText('changed');
    await expect(plan).not.toContainText('second version');
    await expect(plan.getByTestId('plan-empty')).toHaveCount(0);
    await page.screenshot({ path: 'end2end/test-results/plan-before-deploy.png', fullPage: true });
    await plan.getByTestId('plan-deploy').click();
    const second = await waitForSuccess(page);
    expect(second).toBeGreaterThan(first);
    expect(served(hostname)).toContain('second version');

    // Roll back from the history: the plan first, then the old page is served again.
    await page.getByRole('tab', { name: 'Deployments' }).click();
    await hydrated(page);
    const row = page.getByTestId('deployments-table').locator('tr', { has: page.getByRole('link', { name: `#${first}`, exact: true }) });
    await row.getByTestId('redeploy').click();
    await expect(plan).toContainText(`Redeploys the commit and configuration of #${first}`);
    await expect(plan.getByTestId('plan-variables')).toContainText('GREETING');
    await plan.getByTestId('plan-redeploy').click();
    const rollback = await waitForSuccess(page);
    expect(rollback).toBeGreaterThan(second);
    await expect(page.getByTestId('deployment-log')).toContainText(`redeploy of #${first}`);
    expect(served(hostname)).toContain('first version');
    await page.getByRole('tab', { name: 'Deployments' }).click();
    await expect(page.getByTestId('deployments-table')).toContainText(`rollback of #${first}`);
    await page.screenshot({ path: 'end2end/test-results/rollback-history.png', fullPage: true });

    // Leave nothing running.
    await page.getByRole('button', { name: 'Teardown' }).click();
    await expect(page.getByRole('button', { name: 'Teardown' })).toBeEnabled({ timeout: 60_000 });
  } finally {
    removeProjectContainers(id);
  }
});
