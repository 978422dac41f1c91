import { execFileSync } from 'node:child_process';
import { test, expect } from '@playwright/test';
import { composeRepo, createAndDeploy, hydrated, signIn } from './helpers';

// A service that keeps a CPU busy, so its sample is not zero.
function busyRepo(): string {
  return composeRepo('nsm-e2e-busy-', [
    'services:',
    '  busy:',
    '    image: nsm-local/busybox:latest',
    '    init: true',
    '    mem_limit: 64m',
    '    command: ["sh", "-c", "while :; do :; done"]',
  ]);
}

test('the Services tab shows a deployed service\'s CPU, memory and a drawn sparkline', async ({ page }) => {
  test.setTimeout(180_000);
  const repo = busyRepo();
  const id = `e2e-busy-${Date.now() % 100000}`;
  // The busy loop would keep a CPU of the machine busy after the test: removed.
  const removeContainers = () => {
    const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=nsm-${id}`])
      .toString().trim().split(/\s+/).filter(Boolean);
    if (ids.length > 0) execFileSync('docker', ['rm', '-f', ...ids]);
  };
  try {
    await run();
  } finally {
    removeContainers();
  }

  async function run() {
    await signIn(page);

    await createAndDeploy(page, id, repo);

    await page.getByRole('tab', { name: 'Services' }).click();
    await hydrated(page);
    const busy = page.locator('[data-service="busy"]');
    await expect(busy.getByTestId('service-actual')).toHaveText('running');
    // Sampling starts when the tab opens its stream: values within a few seconds.
    await expect(busy.getByTestId('service-cpu')).toHaveText(/^\d+\.\d % CPU$/, { timeout: 15_000 });
    await expect(busy.getByTestId('service-memory')).toHaveText(/ of 64\.0 MiB \(\d+ %\)$/);
    const cpu = parseFloat((await busy.getByTestId('service-cpu').textContent()) ?? '0');
    expect(cpu).toBeGreaterThan(0);
    const line = busy.getByTestId('service-sparkline').locator('polyline');
    await expect(line).toHaveAttribute('points', /\d+(\.\d+)?,\d+(\.\d+)? \d+(\.\d+)?,\d+(\.\d+)?/);
    // A second batch arrives: the line has at least three points after a few more seconds.
    await expect(line).toHaveAttribute('points', /(\S+,\S+ ){2}\S+,\S+/, { timeout: 15_000 });
    await page.screenshot({ path: 'end2end/test-results/services-resource-use.png', fullPage: true });
  }
});
