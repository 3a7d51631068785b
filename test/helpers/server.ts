// A real listening server for browser tests: the full app on a fresh database, web app included.
import { createTestApp } from './app.js';

export interface RunningServer {
  baseUrl: string;
  adminEmail: string;
  adminPassword: string;
  close(): Promise<void>;
}

export async function startTestServer(opts: { authRateLimit?: number } = {}): Promise<RunningServer> {
  const context = await createTestApp({
    background: true,
    env: { AUTH_RATE_LIMIT: String(opts.authRateLimit ?? 0), EXPIRY_SWEEP_MS: '250' },
  });
  const adminEmail = 'admin@evently.test';
  const adminPassword = 'admin-password-123';
  await context.app.ctx.auth.bootstrapAdmin(adminEmail, adminPassword);
  await context.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = context.app.server.address() as { port: number };
  return { baseUrl: `http://127.0.0.1:${port}`, adminEmail, adminPassword, close: () => context.close() };
}
