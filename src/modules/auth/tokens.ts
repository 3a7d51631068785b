// Short-lived JWT access tokens (HS256, 15 minutes) and opaque refresh tokens stored as hashes.
import { createHash, randomBytes } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
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
  private readonly key: Uint8Array;

  constructor(secret: string) {
    this.key = new TextEncoder().encode(secret);
  }

  sign(claims: AccessClaims): Promise<string> {
    return new SignJWT({ role: claims.role })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.userId)
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(`${ACCESS_TOKEN_TTL_SECONDS}s`)
      .sign(this.key);
  }

  async verify(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, algorithms: ['HS256'] });
      const role = payload.role;
      if (typeof payload.sub !== 'string' || (role !== 'user' && role !== 'admin'))
        throw new Error('bad claims');
      return { userId: payload.sub, role };
    } catch (error) {
      const expired = error instanceof joseErrors.JWTExpired;
      throw new DomainError('UNAUTHENTICATED', expired ? 'Access token expired' : 'Access token is invalid');
    }
  }
}

export const newRefreshToken = (): string => randomBytes(32).toString('base64url');
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');
