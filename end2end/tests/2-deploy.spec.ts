import { execFileSync } from 'node:child_process';
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
  // Deploy shows the plan first; its own button deploys.
  await page.getByRole('button', { name: 'Deploy', exact: true }).click();
  await page.getByTestId('plan-deploy').click();
  await expect(page).toHaveURL(new RegExp(`/projects/${id}/deployments/\\d+$`));
  const log = page.getByTestId('deployment-log');
  await expect(log).toContainText('queued', { timeout: 30_000 });
  await expect(page.getByTestId('deployment-state')).toHaveText('succeeded', { timeout: 150_000 });
  await expect(log).toContainText('succeeded');
  await expect(page.getByTestId('deployment-env')).toContainText('GREETING=');
  await expect(page.getByTestId('deployment-env')).not.toContainText('playwright');

  // Services: the web service is running.
  await page.getByRole('tab', { name: 'Services' }).click();
  const web = page.locator('[data-service="web"]');
  await expect(web.getByTestId('service-actual')).toHaveText('running');
  await hydrated(page);
  await web.locator('select[name="expected"]').selectOption('running');
  await web.getByRole('button', { name: 'Save' }).click();
  await expect(web.getByTestId('service-verdict')).toHaveText('matching');

  // Stopped by hand: the tab shows the mismatch live, without a reload.
  const container = execFileSync('docker', [
    'ps', '-q', '--filter', `label=com.docker.compose.project=nsm-${id}`, '--filter', 'label=com.docker.compose.service=web',
  ]).toString().trim();
  expect(container).not.toBe('');
  execFileSync('docker', ['stop', '-t', '1', container]);
  await expect(web.getByTestId('service-verdict')).toContainText('expected running — exited', { timeout: 2_000 });
  await expect(web.getByTestId('service-actual')).toHaveText('exited');
  await page.screenshot({ path: 'end2end/test-results/services-mismatch.png', fullPage: true });
  // The project list and the dashboard say so too, mismatching projects first.
  await page.goto('/projects');
  await hydrated(page);
  await expect(page.locator(`[data-project="${id}"]`).getByTestId('project-verdict')).toHaveText('1 mismatching: web');
  await page.goto('/');
  await hydrated(page);
  const first = page.getByTestId('dashboard-projects').locator('li').first();
  await expect(first).toHaveAttribute('data-project', id);
  await expect(first.getByTestId('project-verdict')).toHaveText('1 mismatching: web');
  await expect(first.getByTestId('last-deployment')).toHaveText('last deployment succeeded');
  // ACME is off here: no real certificate, none ending.
  await expect(page.getByTestId('no-expiring-certificates')).toHaveText('None.');
  await page.screenshot({ path: 'end2end/test-results/dashboard-mismatch.png', fullPage: true });
  // The last 90 days are drawn, a square a day; today has data (the heartbeat).
  const heatmap = page.getByTestId('fleet-heatmap');
  await expect(heatmap.locator('rect')).toHaveCount(90);
  await expect(heatmap.locator('rect').last()).toHaveAttribute('data-level', /^[1-4]$/);
  // Started again: matching again, live, on the dashboard.
  execFileSync('docker', ['start', container]);
  await expect(first.getByTestId('project-verdict')).toHaveText('all 1 matching', { timeout: 10_000 });
  await page.goto(`/projects/${id}/services`);
  await hydrated(page);
  await expect(web.getByTestId('service-verdict')).toHaveText('matching', { timeout: 10_000 });
  // Its last 24 hours are drawn: the stretch it was down, and matching now.
  const timeline = web.getByTestId('service-timeline');
  await expect(timeline.locator('rect[data-verdict="mismatch"]')).not.toHaveCount(0);
  await expect(timeline.locator('rect').last()).toHaveAttribute('data-verdict', 'matching');
  await page.screenshot({ path: 'end2end/test-results/services-timeline.png', fullPage: true });

  // Leave nothing running.
  await page.getByRole('button', { name: 'Teardown' }).click();
  await expect(page.getByRole('button', { name: 'Teardown' })).toBeEnabled({ timeout: 60_000 });
});
