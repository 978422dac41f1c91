import { defineConfig } from '@playwright/test';
import * as path from 'path';
import { EDGE_HTTP_PORT, EDGE_HTTPS_PORT, SERVER_PORT as port } from './ports';

// The real server binary (the debug build `cargo test` makes, or NSM_SERVER_BIN) with
// its browser side (target/site, or NSM_SITE_ROOT), a fresh data directory (.data, or
// NSM_E2E_DATA_DIR), Debian's Chromium. The edge is on, managed, on its own ports, with ACME off: certificates
// stay self-signed placeholders.
const root = path.resolve(__dirname, '..');
const dataDir = process.env.NSM_E2E_DATA_DIR ?? path.join(__dirname, '.data');
const server = process.env.NSM_SERVER_BIN ?? path.join(root, 'target/debug/nsm-server');
const site = process.env.NSM_SITE_ROOT ?? path.join(root, 'target/site');
const edge = `--edge managed --edge-http-port ${EDGE_HTTP_PORT} --edge-https-port ${EDGE_HTTPS_PORT} --no-acme --edge-stop-on-exit`;

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
    command: `rm -rf "${dataDir}" && exec "${server}" --data-dir "${dataDir}" --listen 127.0.0.1:${port} --site-root "${site}" ${edge}`,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    // SIGTERM lets the server stop its nginx; a killed server would leave it running.
    gracefulShutdown: { signal: 'SIGTERM', timeout: 10_000 },
  },
});
