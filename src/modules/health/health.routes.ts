// Liveness and readiness probes.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Redis } from 'ioredis';
import { sql } from 'kysely';
import { Type } from 'typebox';
import type { AppContext } from '../../app.js';

const Status = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  checks: Type.Optional(Type.Record(Type.String(), Type.String())),
});

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export const healthRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext; redis?: Redis }> = async (
  app,
  { ctx, redis },
) => {
  app.get(
    '/health/live',
    { schema: { tags: ['health'], summary: '200 while the process runs', response: { 200: Status } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/health/ready',
    {
      schema: {
        tags: ['health'],
        summary: '200 when PostgreSQL (and Redis, when configured) answer; else 503',
        response: { 200: Status, 503: Status },
      },
    },
    async (_request, reply) => {
      const checks: Record<string, string> = {};
      let ok = true;
      try {
        await withTimeout(sql`SELECT 1`.execute(ctx.dbHandle.db), 2000);
        checks.database = 'ok';
      } catch (error) {
        ok = false;
        checks.database = error instanceof Error ? error.message : 'unreachable';
      }
      if (redis) {
        try {
          await withTimeout(redis.ping(), 2000);
          checks.redis = 'ok';
        } catch (error) {
          ok = false;
          checks.redis = error instanceof Error ? error.message : 'unreachable';
        }
      }
      if (!ok) reply.header('Retry-After', '5');
      return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks });
    },
  );
};
