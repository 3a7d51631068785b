// POST /auth/register, /auth/login, /auth/refresh and GET /me.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest, preHandlerHookHandler } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../../app.js';
import { caller } from '../../platform/http/auth-guard.js';
import { DomainError } from '../../platform/http/errors.js';
import { BearerSecurity, errors } from '../../platform/http/schemas.js';
import {
  LoginBody,
  RefreshBody,
  RegisterBody,
  SessionSchema,
  TokenPairSchema,
  UserSchema,
} from './auth.schemas.js';
import { normalizeEmail } from './auth.service.js';

export const authRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const { auth, guards, config } = ctx;

  // Per IP and per email, so neither many emails from one host nor one email from many hosts
  // can be brute forced. AUTH_RATE_LIMIT=0 turns both off (load tests from one host).
  const limiters: preHandlerHookHandler[] = [];
  if (config.authRateLimit > 0) {
    const common = { max: config.authRateLimit, timeWindow: 60_000 };
    const checks = [
      app.createRateLimit({ ...common, keyGenerator: (req: FastifyRequest) => `ip:${req.ip}` }),
      app.createRateLimit({
        ...common,
        keyGenerator: (req: FastifyRequest) => {
          const email = (req.body as { email?: unknown } | undefined)?.email;
          return `email:${typeof email === 'string' ? normalizeEmail(email) : ''}`;
        },
      }),
    ];
    limiters.push(async (request) => {
      for (const check of checks) {
        const result = await check(request);
        if (!result.isAllowed && result.isExceeded) {
          throw new DomainError(
            'RATE_LIMITED',
            'Too many attempts; wait a minute and try again',
            undefined,
            result.ttlInSeconds,
          );
        }
      }
    });
  }

  app.post(
    '/auth/register',
    {
      preHandler: limiters,
      schema: {
        tags: ['accounts'],
        summary: 'Create an account',
        body: RegisterBody,
        response: { 201: SessionSchema, ...errors(400, 409, 413, 415, 429) },
      },
    },
    async (request, reply) => reply.status(201).send(await auth.register(request.body)),
  );

  app.post(
    '/auth/login',
    {
      preHandler: limiters,
      schema: {
        tags: ['accounts'],
        summary: 'Log in with email and password',
        body: LoginBody,
        response: { 200: SessionSchema, ...errors(400, 401, 413, 415, 429) },
      },
    },
    async (request) => auth.login(request.body),
  );

  app.post(
    '/auth/refresh',
    {
      schema: {
        tags: ['accounts'],
        summary:
          'Exchange a refresh token for a new pair (rotation; a used token is 401 and revokes its family)',
        body: RefreshBody,
        response: { 200: TokenPairSchema, ...errors(400, 401) },
      },
    },
    async (request) => auth.refresh(request.body.refreshToken),
  );

  app.get(
    '/me',
    {
      onRequest: guards.authenticate,
      schema: {
        tags: ['accounts'],
        summary: 'The logged-in user',
        security: BearerSecurity,
        response: { 200: Type.Object({ user: UserSchema }), ...errors(401) },
      },
    },
    async (request) => ({ user: await auth.me(caller(request).userId) }),
  );
};
