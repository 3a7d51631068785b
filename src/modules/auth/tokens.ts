// Short-lived JWT access tokens (HS256, 15 minutes) and opaque refresh tokens stored as hashes.
// fast-jwt (the library behind @fastify/jwt) verifies synchronously and caches verified tokens,
// which matters on the on-sale path where every request carries a token.
import { createHash, randomBytes } from 'node:crypto';
import { createSigner, createVerifier, TokenError } from 'fast-jwt';
import type { Role } from '../../platform/db/schema.js';
import { DomainError } from '../../platform/http/errors.js';

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600;
const ISSUER = 'evently';

export interface AccessClaims {
  userId: string;
  role: Role;
}

export class TokenSigner {
  private readonly signSync: (payload: Record<string, unknown>) => string;
  private readonly verifySync: (token: string) => Record<string, unknown>;

  constructor(secret: string) {
    this.signSync = createSigner({
      key: secret,
      algorithm: 'HS256',
      iss: ISSUER,
      expiresIn: ACCESS_TOKEN_TTL_SECONDS * 1000,
    });
    this.verifySync = createVerifier({
      key: secret,
      algorithms: ['HS256'],
      allowedIss: ISSUER,
      requiredClaims: ['sub', 'exp', 'iss'],
      // Verified tokens are cached (LRU, keyed by a hash of the token) until they expire.
      cache: 10_000,
    });
  }

  async sign(claims: AccessClaims): Promise<string> {
    // jti makes two tokens issued in the same second for the same user distinct.
    return this.signSync({ sub: claims.userId, role: claims.role, jti: randomBytes(8).toString('hex') });
  }

  async verify(token: string): Promise<AccessClaims> {
    try {
      const payload = this.verifySync(token);
      const role = payload.role;
      if (typeof payload.sub !== 'string' || (role !== 'user' && role !== 'admin'))
        throw new Error('bad claims');
      return { userId: payload.sub, role };
    } catch (error) {
      const expired = error instanceof TokenError && error.code === TokenError.codes.expired;
      throw new DomainError('UNAUTHENTICATED', expired ? 'Access token expired' : 'Access token is invalid');
    }
  }
}

export const newRefreshToken = (): string => randomBytes(32).toString('base64url');
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');
