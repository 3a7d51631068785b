import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSession, auth, registerUser, type Session } from '../helpers/api.js';
import { createTestApp, type TestContext } from '../helpers/app.js';

describe('bad input always gets a clear 4xx in the contract shape', () => {
  let t: TestContext;
  let user: Session;
  let admin: Session;
  beforeAll(async () => {
    t = await createTestApp();
    user = await registerUser(t.app);
    admin = await adminSession(t.app);
  });
  afterAll(() => t.close());

  const expectError = (res: { statusCode: number; json(): unknown }, status: number, code: string) => {
    expect(res.statusCode).toBe(status);
    const body = res.json() as { error: { code: string; message: string } };
    expect(body.error.code).toBe(code);
    expect(typeof body.error.message).toBe('string');
  };

  it('malformed JSON is 400', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"email": ',
    });
    expectError(res, 400, 'VALIDATION_FAILED');
  });

  it('a missing or bad token is 401 before the body is looked at', async () => {
    for (const headers of [{}, { authorization: 'Bearer not-a-token' }]) {
      for (const [method, url, payload] of [
        ['POST', '/api/v1/bookings', '{"quantity": "lots"'],
        ['POST', '/api/v1/bookings', '{}'],
        ['POST', '/api/v1/admin/events', '{}'],
        ['POST', '/api/v1/bookings/not-an-id/confirm', '{"paymentToken": 5}'],
      ] as const) {
        const res = await t.app.inject({
          method,
          url,
          headers: { ...headers, 'content-type': 'application/json' },
          payload,
        });
        expectError(res, 401, 'UNAUTHENTICATED');
      }
    }
  });

  it('a body over 100 KB is 413', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(120 * 1024), name: 'n' }),
    });
    expectError(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('a wrong content type is 415', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'text/plain' },
      payload: 'email=a',
    });
    expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('unknown routes are 404 in the same shape', async () => {
    expectError(await t.app.inject({ method: 'GET', url: '/api/v1/nope' }), 404, 'NOT_FOUND');
    expectError(await t.app.inject({ method: 'DELETE', url: '/api/v1/events' }), 404, 'NOT_FOUND');
  });

  it('unknown fields and wrong types name the fields', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/events',
      headers: auth(admin),
      payload: {
        name: '',
        venue: { city: 'X' },
        startsAt: 'tomorrow',
        ticketTypes: [{ name: 'A', priceCents: -1, capacity: 'many' }],
        extra: 1,
      },
    });
    expectError(res, 400, 'VALIDATION_FAILED');
    const fields = (
      res.json() as { error: { details: { fields: { field: string }[] } } }
    ).error.details.fields.map((f) => f.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'name',
        'venue.name',
        'startsAt',
        'ticketTypes.0.priceCents',
        'ticketTypes.0.capacity',
        'extra',
      ]),
    );
  });

  it('a body that is not an object, or missing, is 400 not 500', async () => {
    for (const payload of ['[]', '"x"', '42', 'null']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/bookings',
        headers: { ...auth(user), 'content-type': 'application/json' },
        payload,
      });
      expect(res.statusCode, payload).toBe(400);
    }
    const empty = await t.app.inject({ method: 'POST', url: '/api/v1/bookings', headers: auth(user) });
    expectError(empty, 400, 'VALIDATION_FAILED');
  });

  it('hostile strings are data, never errors', async () => {
    for (const q of ["'; drop table events; --", '\\', '%_%', 'ü'.repeat(50), '\u0000']) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/events?q=${encodeURIComponent(q)}` });
      expect(res.statusCode, JSON.stringify(q)).toBeLessThan(500);
    }
  });

  it('Idempotency-Key longer than 255 characters is 400', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/bookings',
      headers: { ...auth(user), 'idempotency-key': 'k'.repeat(256) },
      payload: { eventId: '00000000-0000-0000-0000-000000000000', quantity: 1 },
    });
    expectError(res, 400, 'VALIDATION_FAILED');
  });

  it('every response carries a request id, echoing a sane incoming one', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'abc-123' },
    });
    expect(res.headers['x-request-id']).toBe('abc-123');
    const generated = await t.app.inject({ method: 'GET', url: '/health/live' });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves health, metrics and an OpenAPI document that lists the contract paths', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/health/ready' })).json().status).toBe('ok');
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('http_request_duration_seconds_bucket');
    // The histogram's count is the request counter by route and status.
    expect(metrics.body).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/health\/ready",status="200"\} [1-9]/,
    );
    expect(metrics.body).toContain('db_pool_connections');
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of [
      '/api/v1/auth/register',
      '/api/v1/auth/login',
      '/api/v1/auth/refresh',
      '/api/v1/me',
      '/api/v1/events',
      '/api/v1/events/{id}',
      '/api/v1/admin/events',
      '/api/v1/admin/events/{id}',
      '/api/v1/admin/events/{id}/cancel',
      '/api/v1/admin/events/{id}/inventory',
      '/api/v1/bookings',
      '/api/v1/bookings/{id}',
      '/api/v1/bookings/{id}/confirm',
      '/api/v1/bookings/{id}/cancel',
      '/health/live',
      '/health/ready',
    ]) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
    expect(doc.paths['/api/v1/bookings'].post.responses).toHaveProperty('409');
    const docs = await t.app.inject({ method: 'GET', url: '/docs' });
    expect(docs.statusCode).toBeLessThan(400);
  });
});
