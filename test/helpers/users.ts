// Many buyers at once: rows inserted in one statement and tokens signed with the app's key, so a
// 500-buyer test does not spend its time hashing 500 passwords.
import { randomUUID } from 'node:crypto';
import { TokenSigner } from '../../src/modules/auth/tokens.js';
import type { Session } from './api.js';
import type { TestApp } from './app.js';

export async function bulkUsers(app: TestApp, count: number): Promise<Session[]> {
  const rows = Array.from({ length: count }, () => {
    const id = randomUUID();
    return { id, email: `bulk-${id}@example.test`, name: 'Bulk buyer', passwordHash: 'not-a-login-account' };
  });
  await app.ctx.dbHandle.db.insertInto('users').values(rows).execute();
  const signer = new TokenSigner(app.ctx.config.jwtSecret as string);
  return Promise.all(
    rows.map(async (r) => ({
      userId: r.id,
      email: r.email,
      refreshToken: '',
      token: await signer.sign({ userId: r.id, role: 'user' }),
    })),
  );
}
