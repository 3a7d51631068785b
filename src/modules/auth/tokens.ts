// Short-lived JWT access tokens (HS256, 15 minutes) and opaque refresh tokens stored as hashes.
// fast-jwt (the library behind @fastify/jwt) signs and verifies, synchronously; verified tokens
// are remembered here until they expire, which matters on the on-sale path where every request
// carries a token (docs/decisions.md, #15).
import { createHash, randomBytes } from 'node:crypto';
import { createSigner, createVerifier, TokenError } from 'fast-jwt';
import { LRUCache } from 'lru-cache';
import type { Role } from '../../platform/db/schema.js';
import { DomainError } from '../../platform/http/errors.js';

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600;
const ISSUER = 'evently';
const VERIFIED_CACHE_SIZE = 10_000;

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
      // As bytes: a string key is converted again for every HMAC (~14% of a verification).
      key: Buffer.from(secret),
      algorithms: ['HS256'],
      allowedIss: ISSUER,
      requiredClaims: ['sub', 'exp', 'iss'],
    });
  }

  /**
   * Verified tokens and their claims, keyed by the token itself, until they expire; the least
   * recently used entry goes first when it is full. fast-jwt's own cache keys by a SHA-256 of the
   * token, which costs as much as checking an HS256 signature. Not a Map evicting its first key:
   * V8 leaves a deleted entry as a hole that `keys().next()` walks past until the table is
   * rebuilt, so with every request a new buyer (a sell-out) that eviction cost ~7 µs a token.
   */
  private readonly verified = new LRUCache<string, { claims: AccessClaims; expiresAtMs: number }>({
    max: VERIFIED_CACHE_SIZE,
  });

  async sign(claims: AccessClaims): Promise<string> {
    // jti makes two tokens issued in the same second for the same user distinct.
    return this.signSync({ sub: claims.userId, role: claims.role, jti: randomBytes(8).toString('hex') });
  }

  /** Synchronous: it runs on every authenticated request, and a promise per request costs. */
  verify(token: string): AccessClaims {
    const known = this.verified.get(token);
    if (known && Date.now() < known.expiresAtMs) return known.claims;
    if (known) this.verified.delete(token);
    try {
      const payload = this.verifySync(token);
      const role = payload.role;
      if (typeof payload.sub !== 'string' || (role !== 'user' && role !== 'admin'))
        throw new Error('bad claims');
      const claims: AccessClaims = { userId: payload.sub, role };
      this.verified.set(token, { claims, expiresAtMs: (payload.exp as number) * 1000 });
      return claims;
    } catch (error) {
      const expired = error instanceof TokenError && error.code === TokenError.codes.expired;
      throw new DomainError('UNAUTHENTICATED', expired ? 'Access token expired' : 'Access token is invalid');
    }
  }
}

export const newRefreshToken = (): string => randomBytes(32).toString('base64url');
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');
