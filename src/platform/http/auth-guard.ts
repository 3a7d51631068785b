// Bearer-token authentication and role checks as preHandlers; the verified claims land on request.auth.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccessClaims, TokenSigner } from '../../modules/auth/tokens.js';
import { DomainError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    auth?: AccessClaims;
  }
}

export interface Guards {
  authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  requireAdmin: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

export function createGuards(signer: TokenSigner): Guards {
  const authenticate = async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match?.[1]) throw new DomainError('UNAUTHENTICATED', 'Missing bearer token');
    request.auth = await signer.verify(match[1]);
  };
  const requireAdmin = async (request: FastifyRequest, reply: FastifyReply) => {
    await authenticate(request);
    if (request.auth?.role !== 'admin') throw new DomainError('FORBIDDEN', 'Admin role required');
    void reply;
  };
  return { authenticate, requireAdmin };
}

/** The authenticated caller; only call in routes guarded by authenticate. */
export function caller(request: FastifyRequest): AccessClaims {
  if (!request.auth) throw new DomainError('UNAUTHENTICATED', 'Missing bearer token');
  return request.auth;
}
