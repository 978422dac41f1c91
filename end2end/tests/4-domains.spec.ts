import { test, expect, Page } from '@playwright/test';
import { execFileSync } from 'child_process';
import { EDGE_HTTPS_PORT } from '../ports';
import { composeRepo, hydrated, signIn } from './helpers';

// A deployable repository: one service from the local busybox image, writing the
// Static Page's file into the directory NSM gives it (the edge checks it is not empty).
function fixtureRepo(): string {
  return composeRepo('nsm-e2e-domains-', ['services:', '  web:', '    image: nsm-local/busybox:latest',
    '    init: true', '    command: ["sh", "-c", "echo \'<p>e2e site</p>\' > /out/index.html && exec sleep 3600"]',
    '    volumes:', '      - "${SITE_DIR}:/out"']);
}

/** Creates project `id` from a fresh fixture repository, through the form. */
async function createProject(page: Page, id: string) {
  await page.goto('/projects/new');
  await hydrated(page);
  await page.getByLabel('Project id').fill(id);
  await page.getByLabel('…or a full git URL').fill(fixtureRepo());
  await page.getByRole('button', { name: 'Create project' }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${id}$`));
}

/** Opens the new-resource editor of `domain`, fills the path and picks the type. */
async function newResource(page: Page, domain: ReturnType<Page['locator']>, path: string, type: string) {
  await domain.getByTestId('add-resource').click();
  const editor = domain.getByTestId('resource-editor');
  await expect(editor).toBeVisible();
  await editor.getByLabel('Path', { exact: true }).fill(path);
  await editor.getByLabel('Type', { exact: true }).selectOption({ label: type });
  return editor;
}

/** What nginx answers for `url` on the managed edge, `hostname` sent to 127.0.0.1. */
function throughTheEdge(hostname: string, url: string): string {
  return execFileSync('curl', ['-sk', '--max-time', '10', '--resolve', `${hostname}:${EDGE_HTTPS_PORT}:127.0.0.1`, url], {
    encoding: 'utf8',
  });
}

test('Domains: add a domain and each resource type, see validation errors and the certificate status', async ({ page }) => {
  test.setTimeout(240_000);
  const id = `e2e-web-${Date.now() % 100000}`;
  const hostname = `${id}.e2e.test`;
  await signIn(page);
  await createProject(page, id);

  await page.getByRole('tab', { name: 'Domains' }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${id}/domains$`));
  await hydrated(page);
  await expect(page.getByTestId('edge-status')).toContainText('Not published yet');
  await expect(page.getByTestId('no-domains')).toBeVisible();

  // A hostname is checked as it is typed, and refused by the server if sent anyway.
  const form = page.getByTestId('add-domain');
  const hostnameError = form.locator('[data-error="hostname"]');
  await page.locator('#domain-hostname').fill(`https://${hostname}/`);
  await expect(hostnameError).toHaveText('Give the hostname alone, without http:// or https://');
  await page.locator('#domain-hostname').fill('shop example.com');
  await expect(hostnameError).toHaveText('Hostname cannot contain spaces or control characters');
  await form.getByRole('button', { name: 'Add domain' }).click();
  await expect(hostnameError).toHaveText('Hostname cannot contain spaces or control characters');
  await expect(page.getByTestId('no-domains')).toBeVisible();

  await page.locator('#domain-hostname').fill(hostname);
  await expect(hostnameError).toHaveCount(0);
  await form.getByRole('button', { name: 'Add domain' }).click();
  const domain = page.locator(`[data-testid="domain"][data-hostname="${hostname}"]`);
  await expect(domain).toBeVisible();
  await expect(page.locator('#domain-hostname')).toHaveValue('');
  // Nothing is served yet: no certificate, not even the placeholder.
  await expect(domain.getByTestId('certificate')).toHaveAttribute('data-status', 'none');
  await expect(domain.getByTestId('certificate-status')).toHaveText('No certificate yet');

  // The same hostname again: only the server knows, and says so under the field.
  await page.locator('#domain-hostname').fill(hostname);
  await form.getByRole('button', { name: 'Add domain' }).click();
  await expect(hostnameError).toHaveText('This project already has this hostname');
  await page.locator('#domain-hostname').fill('');

  // Static Page at /, single-page app.
  let editor = await newResource(page, domain, '/', 'Static Page');
  await editor.getByLabel('Single-page app').check();
  await editor.getByTestId('save-resource').click();
  await expect(domain.locator('[data-testid="resource"][data-path="/"][data-kind="static"]')).toContainText(
    'SPA fallback to index.html',
  );

  // API Service: an invalid path and timeout are shown inline and refused on save.
  editor = await newResource(page, domain, 'api', 'API Service');
  await expect(editor.locator('[data-error="path"]')).toHaveText('Path must start with /');
  await editor.getByLabel('Timeout (seconds)').fill('0');
  await expect(editor.locator('[data-error="timeout_secs"]')).toContainText('Timeout must be between 1 and');
  await editor.getByTestId('save-resource').click();
  await expect(editor.locator('[data-error="path"]')).toHaveText('Path must start with /');
  await expect(domain.getByTestId('resource')).toHaveCount(1);
  await editor.getByLabel('Path', { exact: true }).fill('/api');
  await expect(editor.locator('[data-error="path"]')).toHaveCount(0);
  await editor.getByLabel('Timeout (seconds)').fill('30');
  await editor.getByLabel('Max body size').fill('5m');
  await editor.getByLabel('WebSocket upgrade').check();
  await editor.getByTestId('save-resource').click();
  await expect(domain.locator('[data-testid="resource"][data-path="/api"][data-kind="api"]')).toContainText(
    'timeout 30 s, max body 5m, WebSocket',
  );

  // Redirect Link: the target must be an http(s) URL.
  editor = await newResource(page, domain, '/old', 'Redirect Link');
  await editor.getByLabel('Target URL (302)').fill('javascript:alert(1)');
  await expect(editor.locator('[data-error="target"]')).toHaveText('Target URL must start with http:// or https://');
  await editor.getByLabel('Target URL (302)').fill('https://example.com/new page');
  await expect(editor.locator('[data-error="target"]')).toHaveText('Target URL cannot contain spaces or control characters');
  await editor.getByLabel('Target URL (302)').fill('https://example.com/new');
  await editor.getByTestId('save-resource').click();
  await expect(domain.locator('[data-testid="resource"][data-path="/old"][data-kind="redirect"]')).toContainText(
    '302 to https://example.com/new',
  );

  // A path another resource of the domain uses: refused by the server, under the field.
  editor = await newResource(page, domain, '/old', 'Redirect Link');
  await editor.getByLabel('Target URL (302)').fill('https://example.com/other');
  await editor.getByTestId('save-resource').click();
  await expect(editor.locator('[data-error="path"]')).toHaveText('Another resource of this domain already uses this path');
  await editor.getByRole('button', { name: 'Cancel' }).click();

  // Custom (the e2e user is the administrator): a raw location body.
  editor = await newResource(page, domain, '/hello', 'Custom');
  await editor.getByLabel('location body (nginx)').fill('default_type text/plain;\nreturn 200 "hello from the edge";');
  await editor.getByTestId('save-resource').click();
  await expect(domain.locator('[data-testid="resource"][data-path="/hello"][data-kind="custom"]')).toContainText(
    '2 lines of nginx configuration',
  );
  await expect(domain.getByTestId('resource')).toHaveCount(4);

  // The preview is the file the server will install, rendered by the same code.
  await page.getByText('nginx configuration preview').click();
  const preview = page.getByTestId('nginx-preview');
  await expect(preview).toContainText(`server_name ${hostname};`);
  // Behind the node's stream front, its HTTPS servers listen on a local socket.
  await expect(preview).toContainText(/listen unix:\S+\/tls\.sock ssl proxy_protocol;/);
  await expect(preview).toContainText('try_files $uri $uri/ /index.html;');
  // No service of this project takes the API's Port variable, so no port is leased.
  await expect(preview).toContainText('location /api/ {');
  await expect(preview).toContainText('# No port is leased to this API Service.');
  await expect(preview).toContainText('return 302 "https://example.com/new";');
  await expect(preview).toContainText('return 200 "hello from the edge";');

  // The Static Page's directory goes to the service that fills it.
  await page.getByRole('tab', { name: 'Environment' }).click();
  await hydrated(page);
  await page.locator('#var-name').fill('SITE_DIR');
  await page.locator('#var-kind').selectOption('directory');
  await page.locator('#var-target').selectOption({ index: 1 });
  await page.getByRole('button', { name: 'Save variable' }).click();
  await expect(page.locator('[data-variable="SITE_DIR"]')).toBeVisible();

  // Deploying checks the file with nginx -t, publishes it and asks the edge for each resource.
  // Deploy shows the plan first; its own button deploys.
  await page.getByRole('button', { name: 'Deploy', exact: true }).click();
  await page.getByTestId('plan-deploy').click();
  await expect(page).toHaveURL(new RegExp(`/projects/${id}/deployments/\\d+$`));
  await expect(page.getByTestId('deployment-state')).toHaveText('succeeded', { timeout: 150_000 });
  const log = page.getByTestId('deployment-log');
  await expect(log).toContainText(`edge: nginx configuration for ${hostname} checked (nginx -t)`);
  await expect(log).toContainText('edge: nginx -t passed, nginx reloaded');
  await expect(log).toContainText(`edge: Static Page https://${hostname}/ answered 200`);

  // Published: a self-signed placeholder until ACME (off here) gets a real one.
  await page.getByRole('tab', { name: 'Domains' }).click();
  await hydrated(page);
  await expect(page.getByTestId('edge-status')).toContainText('Published.');
  await expect(domain.getByTestId('certificate')).toHaveAttribute('data-status', 'self_signed');
  await expect(domain.getByTestId('certificate-status')).toHaveText('Self-signed placeholder');
  await expect(domain.getByRole('link', { name: `https://${hostname}:${EDGE_HTTPS_PORT}/` })).toBeVisible();
  await domain.getByTestId('request-certificate').click();
  await expect(page.getByTestId('domains-error')).toContainText('Certificates are not requested: the edge or ACME is off');

  // nginx serves what the tab says, over TLS with the domain's own certificate.
  expect(throughTheEdge(hostname, `https://${hostname}:${EDGE_HTTPS_PORT}/hello`)).toBe('hello from the edge');

  // Leave nothing running; tearing down stops serving the domain.
  await page.getByRole('button', { name: 'Teardown' }).click();
  await expect(page.getByRole('button', { name: 'Teardown' })).toBeEnabled({ timeout: 60_000 });
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('edge-status')).toContainText('Not published yet', { timeout: 30_000 });
});

test('Workers: a node gets a public address; the Domains tab says which node serves the project and where DNS points', async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page);
  await page.goto('/workers');
  await hydrated(page);
  const local = page.locator('[data-worker="local"]');
  await expect(local.getByTestId('worker-edge')).toContainText(/managed, ports \d+\/\d+/);
  const address = local.getByLabel('Public address');
  // A URL is not an address: refused with the reason, nothing saved.
  const saveAddress = local.getByTestId('worker-address').getByRole('button', { name: 'Save' });
  await address.fill('http://edge-1.example.com/');
  await saveAddress.click();
  await expect(page.getByText('A public address is a hostname')).toBeVisible();
  await address.fill('203.0.113.7');
  await saveAddress.click();
  await expect(page.getByText('A public address is a hostname')).toHaveCount(0);
  await page.reload();
  await hydrated(page);
  await expect(page.locator('[data-worker="local"]').getByLabel('Public address')).toHaveValue('203.0.113.7');
  await expect(page.locator('[data-worker="local"]').getByTestId('worker-reach')).toHaveText('public');

  // A node on a private network is fronted by local: it needs the address local
  // reaches it at first.
  const privateId = `e2e-private-${Date.now() % 100000}`;
  await page.getByLabel('Worker id').fill(privateId);
  await page.getByRole('button', { name: 'Add worker' }).click();
  const node = page.locator(`[data-worker="${privateId}"]`);
  await expect(node).toBeVisible();
  await node.getByLabel('Fronted by').selectOption('local');
  await node.getByTestId('worker-front').getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('front-error')).toContainText('First set the address local reaches');
  await node.getByLabel('Public address').fill('10.0.0.12');
  await node.getByTestId('worker-address').getByRole('button', { name: 'Save' }).click();
  await expect(node.getByLabel('Public address')).toHaveValue('10.0.0.12');
  await node.getByLabel('Fronted by').selectOption('local');
  await node.getByTestId('worker-front').getByRole('button', { name: 'Save' }).click();
  await expect(node.getByTestId('worker-reach')).toHaveText('fronted by local');
  await page.screenshot({ path: 'end2end/test-results/workers-fronted.png', fullPage: true });
  await node.getByLabel('Fronted by').selectOption('');
  await node.getByTestId('worker-front').getByRole('button', { name: 'Save' }).click();
  await expect(node.getByTestId('worker-reach')).toHaveText('public');

  const id = `e2e-node-${Date.now() % 100000}`;
  await createProject(page, id);
  await page.getByRole('tab', { name: 'Domains' }).click();
  await hydrated(page);
  const serving = page.getByTestId('serving-node');
  await expect(serving).toContainText('Served by worker local at 203.0.113.7');
  await expect(serving).toContainText("Point each domain's DNS at 203.0.113.7");
  await page.screenshot({ path: 'end2end/test-results/domains-serving-node.png', fullPage: true });
});
