import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, registerUser } from '../helpers/api.js';
import { createTestApp, type TestContext } from '../helpers/app.js';

describe('accounts', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('registers a user who can then log in and read /me', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: 'Alice@Example.test', password: 'correct horse', name: 'Alice' },
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.user).toEqual({
      id: expect.any(String),
      email: 'alice@example.test',
      name: 'Alice',
      role: 'user',
    });
    expect(body.accessToken).toMatch(/^ey/);

    const login = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'ALICE@example.test', password: 'correct horse' },
    });
    expect(login.statusCode).toBe(200);
    const me = await t.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { authorization: `Bearer ${login.json().accessToken}` },
    });
    expect(me.statusCode).toBe(200);
    expect(me.json().user.email).toBe('alice@example.test');
  });

  it('treats emails case-insensitively: a second registration is 409 EMAIL_TAKEN', async () => {
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: 'bob@example.test', password: 'password1', name: 'Bob' },
    });
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: 'BOB@example.test', password: 'password2', name: 'Bob 2' },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('EMAIL_TAKEN');
  });

  it('when twenty registrations race for one email, exactly one wins', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/register',
          payload: { email: 'race@example.test', password: 'password1', name: 'R' },
        }),
      ),
    );
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(results.filter((r) => r.statusCode === 409)).toHaveLength(19);
  });

  it('rejects a wrong password and an unknown email with the same 401', async () => {
    const user = await registerUser(t.app);
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: user.email, password: 'nope-nope' },
    });
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'ghost@example.test', password: 'nope-nope' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('INVALID_CREDENTIALS');
    expect(unknown.json().error).toEqual(wrong.json().error);
  });

  it('validates registration input and names the fields', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: 'not-an-email', password: 'short' },
    });
    expect(res.statusCode).toBe(400);
    const error = res.json().error;
    expect(error.code).toBe('VALIDATION_FAILED');
    const fields = error.details.fields.map((f: { field: string }) => f.field);
    expect(fields).toEqual(expect.arrayContaining(['email', 'password', 'name']));
  });

  it('rotates refresh tokens; reusing a rotated token is 401 and revokes the whole family', async () => {
    const user = await registerUser(t.app);
    const first = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refreshToken: user.refreshToken },
    });
    expect(first.statusCode).toBe(200);
    const rotated = first.json().refreshToken;
    expect(rotated).not.toBe(user.refreshToken);

    const reuse = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refreshToken: user.refreshToken },
    });
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json().error.code).toBe('UNAUTHENTICATED');

    // The thief's reuse revoked the family: the legitimate newest token no longer works either.
    const after = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refreshToken: rotated },
    });
    expect(after.statusCode).toBe(401);
  });

  it('answers 401 for a missing, malformed or forged token', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
    expect(
      (
        await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: 'Bearer nope' } })
      ).json().error.code,
    ).toBe('UNAUTHENTICATED');
    const user = await registerUser(t.app);
    const [h, , s] = user.token.split('.');
    const forgedPayload = Buffer.from(
      JSON.stringify({ sub: user.userId, role: 'admin', iss: 'evently', exp: 9999999999 }),
    ).toString('base64url');
    const forged = await t.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { authorization: `Bearer ${h}.${forgedPayload}.${s}` },
    });
    expect(forged.statusCode).toBe(401);
  });

  it('bootstraps the admin once: creating, then promoting, never duplicating', async () => {
    const user = await registerUser(t.app);
    const admin = await t.app.ctx.auth.bootstrapAdmin(user.email.toUpperCase(), 'new-admin-password');
    expect(admin.id).toBe(user.userId);
    expect(admin.role).toBe('admin');
    const again = await t.app.ctx.auth.bootstrapAdmin(user.email, 'new-admin-password');
    expect(again.id).toBe(user.userId);
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: user.email, password: 'new-admin-password' },
    });
    expect(login.json().user.role).toBe('admin');
    const me = await t.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: auth({ ...user, token: login.json().accessToken }),
    });
    expect(me.json().user.role).toBe('admin');
  });
});

describe('login rate limiting', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestApp({ env: { AUTH_RATE_LIMIT: '3' } });
  });
  afterAll(() => t.close());

  it('limits attempts per email: the fourth wrong password in a minute is 429 with Retry-After', async () => {
    const attempt = (ip: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress: ip,
        payload: { email: 'victim@example.test', password: 'guess-guess' },
      });
    // Different IPs, so only the per-email limit can stop the fourth.
    const statuses = [];
    for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'])
      statuses.push((await attempt(ip)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const blocked = await attempt('10.0.0.5');
    expect(blocked.statusCode).toBe(429);
    expect(blocked.headers['retry-after']).toBeDefined();
    expect(blocked.json().error.code).toBe('RATE_LIMITED');
  });

  it('limits attempts per IP across many emails', async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress: '10.9.9.9',
        payload: { email: `spray-${i}@example.test`, password: 'guess-guess' },
      });
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
  });
});
