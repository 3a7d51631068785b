import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestPaymentProvider } from '../../src/modules/bookings/payments.js';
import {
  adminSession,
  auth,
  createEvent,
  expectInventoryConsistent,
  registerUser,
  type Session,
} from '../helpers/api.js';
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

  it('unknown routes are 404, a known path with another method 405 with Allow, in the same shape', async () => {
    expectError(await t.app.inject({ method: 'GET', url: '/api/v1/nope' }), 404, 'NOT_FOUND');
    const listDelete = await t.app.inject({ method: 'DELETE', url: '/api/v1/events?limit=5' });
    expectError(listDelete, 405, 'METHOD_NOT_ALLOWED');
    expect(listDelete.headers.allow).toBe('GET, HEAD');
    const bookingPatch = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/bookings/00000000-0000-4000-8000-000000000000',
      headers: auth(user),
    });
    expectError(bookingPatch, 405, 'METHOD_NOT_ALLOWED');
    expect(bookingPatch.headers.allow).toBe('GET, HEAD');
    const meput = await t.app.inject({ method: 'PUT', url: '/api/v1/me' });
    expect(meput.headers.allow).toBe('GET, HEAD');
  });

  it('a path that cannot be decoded is 400 in the same shape', async () => {
    expectError(
      await t.app.inject({ method: 'GET', url: '/api/v1/events/%E0%A4%A' }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('requests the HTTP parser refuses are answered in the same shape', async () => {
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = new URL(address);
    const raw = (request: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => socket.end(request));
        let answer = '';
        socket.on('data', (chunk) => {
          answer += chunk.toString();
        });
        socket.on('close', () => resolve(answer));
        socket.on('error', reject);
      });
    const parse = (answer: string) => {
      const [head = '', body = ''] = answer.split('\r\n\r\n');
      return { status: Number(head.split(' ')[1]), body: JSON.parse(body) as { error: { code: string } } };
    };
    const huge = parse(
      await raw(`GET /api/v1/events?q=${'x'.repeat(20_000)} HTTP/1.1\r\nHost: localhost\r\n\r\n`),
    );
    expect(huge.status).toBe(431);
    expect(huge.body.error.code).toBe('HEADERS_TOO_LARGE');
    const broken = parse(await raw('POST /api/v1/auth/login HTTP/1.1\r\nContent-Length: abc\r\n\r\n'));
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('a 401 says how to authenticate (WWW-Authenticate: Bearer)', async () => {
    const missing = await t.app.inject({ method: 'GET', url: '/api/v1/me' });
    expectError(missing, 401, 'UNAUTHENTICATED');
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="evently"');
    const bad = await t.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { authorization: 'Bearer x.y.z' },
    });
    expect(bad.headers['www-authenticate']).toBe('Bearer realm="evently", error="invalid_token"');
  });

  it('JSON bodies are taken as typed: a value of the wrong type is 400 naming the field, and nothing is booked', async () => {
    const event = await createEvent(t.app, admin, {
      ticketTypes: [{ name: 'GA', priceCents: 100, capacity: 5 }],
    });
    for (const [payload, field] of [
      [{ eventId: event.id, quantity: true }, 'quantity'],
      [{ eventId: event.id, quantity: [2] }, 'quantity'],
      [{ eventId: event.id, quantity: '3' }, 'quantity'],
      [{ eventId: [event.id], quantity: 1 }, 'eventId'],
      [{ eventId: event.id, quantity: 1, paymentToken: ['tok_visa'] }, 'paymentToken'],
    ] as const) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/bookings',
        headers: auth(user),
        payload,
      });
      expectError(res, 400, 'VALIDATION_FAILED');
      const fields = (res.json() as { error: { details: { fields: { field: string }[] } } }).error.details
        .fields;
      expect(
        fields.map((f) => f.field),
        JSON.stringify(payload),
      ).toContain(field);
    }
    const after = (await t.app.inject({ method: 'GET', url: `/api/v1/events/${event.id}` })).json();
    expect(after.available).toBe(5);
    const register = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: 'typed@example.com', password: 12345678, name: ['Bob'] },
    });
    expectError(register, 400, 'VALIDATION_FAILED');
    const patch = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/admin/events/${event.id}`,
      headers: auth(admin),
      payload: { maxTicketsPerUser: true },
    });
    expectError(patch, 400, 'VALIDATION_FAILED');
    // Query strings are text: they are still read as numbers where the schema says so.
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/events?limit=5' })).statusCode).toBe(200);
  });

  it('a NUL character in a body or a query string is 400 naming the field', async () => {
    const register = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: 'nul@example.com', password: 'long-enough-password', name: 'a\u0000b' },
    });
    expectError(register, 400, 'VALIDATION_FAILED');
    expect(register.json().error.details.fields).toEqual([
      { field: 'name', in: 'body', message: 'must not contain a NUL character' },
    ]);
    const search = await t.app.inject({ method: 'GET', url: '/api/v1/events?q=%00' });
    expectError(search, 400, 'VALIDATION_FAILED');
    expect(search.json().error.details.fields[0].field).toBe('q');
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/events',
      headers: auth(admin),
      payload: {
        name: 'Nul',
        venue: { name: 'V', city: 'C' },
        startsAt: new Date(Date.now() + 86_400_000).toISOString(),
        ticketTypes: [{ name: 'G\u0000A', priceCents: 1, capacity: 1 }],
      },
    });
    expect(created.json().error.details.fields[0].field).toBe('ticketTypes.0.name');
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
    // Any route that takes a body can refuse it before its handler runs.
    for (const path of [
      '/api/v1/auth/refresh',
      '/api/v1/bookings/{id}/cancel',
      '/api/v1/admin/events/{id}/cancel',
    ]) {
      expect(Object.keys(doc.paths[path].post.responses), path).toEqual(
        expect.arrayContaining(['400', '413', '415']),
      );
    }
    const docs = await t.app.inject({ method: 'GET', url: '/docs' });
    expect(docs.statusCode).toBeLessThan(400);
  });

  it('a graceful shutdown closes the connection of the request in flight, then finishes', async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    class SlowProvider extends TestPaymentProvider {
      override async charge(input: Parameters<TestPaymentProvider['charge']>[0]) {
        await gate;
        return super.charge(input);
      }
    }
    const closingApp = await createTestApp({ databaseUrl: t.url, payments: new SlowProvider() });
    try {
      const address = await closingApp.app.listen({ port: 0, host: '127.0.0.1' });
      const event = await createEvent(t.app, admin);
      const buyer = await registerUser(t.app);
      const agent = new Agent({ keepAlive: true });
      let socketClosed = false;
      const answer = new Promise<{ status?: number; connection?: string }>((resolve, reject) => {
        const req = httpRequest(
          `${address}/api/v1/bookings`,
          { method: 'POST', agent, headers: { ...auth(buyer), 'content-type': 'application/json' } },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode, connection: res.headers.connection }));
          },
        );
        req.on('socket', (socket) => socket.on('close', () => (socketClosed = true)));
        req.on('error', reject);
        req.end(JSON.stringify({ eventId: event.id, quantity: 1, paymentToken: 'tok_visa' }));
      });
      // The booking holds its seat and waits on the provider: it is in flight when closing starts.
      await expect
        .poll(async () => (await expectInventoryConsistent(t.app, admin, event.id)).ticketTypes[0].held)
        .toBe(1);
      const closed = closingApp.app.close();
      release();
      expect(await answer).toEqual({ status: 201, connection: 'close' });
      // Resolves only once every connection has ended (Fastify keeps an idle keep-alive one 72 s).
      await closed;
      await expect.poll(() => socketClosed).toBe(true);
      agent.destroy();
    } finally {
      release();
      await closingApp.db.close();
    }
  });
});
