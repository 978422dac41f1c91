import { defineConfig } from '@playwright/test';
import * as path from 'path';

// The real server binary, a fresh data directory, Debian's Chromium.
const port = Number(process.env.NSM_E2E_PORT ?? 3107);
const root = path.resolve(__dirname, '..');
const dataDir = path.join(__dirname, '.data');

export default defineConfig({
  testDir: './tests',
  outputDir: path.join(__dirname, 'test-results'),
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: {
    command: `rm -rf "${dataDir}" && exec "${root}/target/debug/nsm-server" --data-dir "${dataDir}" --listen 127.0.0.1:${port} --site-root "${root}/target/site" --edge off`,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
