// Bearer-token authentication and role checks as onRequest hooks (before the body is read); the verified claims land on request.auth.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccessClaims, TokenSigner } from '../../modules/auth/tokens.js';
import { DomainError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    auth?: AccessClaims;
  }
}

type Hook = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void;

export interface Guards {
  authenticate: Hook;
  requireAdmin: Hook;
}

/**
 * Callback-style hooks, not async ones: they run on every booking request of a rush, and an
 * async hook costs a promise and a microtask turn per request. A thrown error reaches Fastify's
 * error handler all the same.
 */
export function createGuards(signer: TokenSigner): Guards {
  const claimsOf = (request: FastifyRequest): AccessClaims => {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match?.[1]) throw new DomainError('UNAUTHENTICATED', 'Missing bearer token');
    return signer.verify(match[1]);
  };
  const authenticate: Hook = (request, _reply, done) => {
    request.auth = claimsOf(request);
    done();
  };
  const requireAdmin: Hook = (request, _reply, done) => {
    request.auth = claimsOf(request);
    if (request.auth.role !== 'admin') throw new DomainError('FORBIDDEN', 'Admin role required');
    done();
  };
  return { authenticate, requireAdmin };
}

/** The authenticated caller; only call in routes guarded by authenticate. */
export function caller(request: FastifyRequest): AccessClaims {
  if (!request.auth) throw new DomainError('UNAUTHENTICATED', 'Missing bearer token');
  return request.auth;
}
