// Vitest global setup for the browser tests: make sure Chromium is installed (Debian package,
// never a Playwright download) and build the web app the test server serves from dist/web.
import { execFileSync, execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CHROMIUM_PATH = '/usr/bin/chromium';
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

function ensureChromium(): void {
  if (existsSync(CHROMIUM_PATH)) return;
  console.log('[e2e] /usr/bin/chromium is missing: installing the Debian chromium package');
  execSync('apt-get update && apt-get install -y --no-install-recommends chromium', {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`apt-get finished but ${CHROMIUM_PATH} does not exist`);
}

function buildWebApp(): void {
  // Always build once per run: cheap (a couple of seconds) and never tests a stale bundle.
  execFileSync('npx', ['vite', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
    cwd: repoRoot,
    stdio: 'inherit',
    // Vitest sets NODE_ENV=test; the tests must exercise the production bundle.
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (!existsSync(`${repoRoot}dist/web/index.html`))
    throw new Error('vite build did not produce dist/web/index.html');
}

export default function setup(): void {
  ensureChromium();
  buildWebApp();
}
