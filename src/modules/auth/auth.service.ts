// Accounts: registration, login, refresh-token rotation with reuse detection, admin bootstrap.
import { randomUUID } from 'node:crypto';
import type { UserRow } from '../../platform/db/schema.js';
import { DomainError } from '../../platform/http/errors.js';
import type { AuthRepository } from './auth.repository.js';
import { burnPasswordCheck, hashPassword, verifyPassword } from './passwords.js';
import { hashToken, newRefreshToken, REFRESH_TOKEN_TTL_SECONDS, type TokenSigner } from './tokens.js';

export interface User {
  id: string;
  email: string;
  name: string;
  role: 'user' | 'admin';
}

export interface Session {
  user: User;
  accessToken: string;
  refreshToken: string;
}

export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

export const toUser = (row: UserRow): User => ({
  id: row.id,
  email: row.email,
  name: row.name,
  role: row.role,
});

export class AuthService {
  constructor(
    private readonly repo: AuthRepository,
    private readonly signer: TokenSigner,
  ) {}

  async register(input: { email: string; password: string; name: string }): Promise<Session> {
    const passwordHash = await hashPassword(input.password);
    const row = await this.repo.createUser({
      email: normalizeEmail(input.email),
      name: input.name.trim(),
      passwordHash,
    });
    if (!row) throw new DomainError('EMAIL_TAKEN', 'An account with this email already exists');
    return this.startSession(row);
  }

  async login(input: { email: string; password: string }): Promise<Session> {
    const row = await this.repo.findUserByEmail(normalizeEmail(input.email));
    if (!row) {
      await burnPasswordCheck(input.password);
      throw new DomainError('INVALID_CREDENTIALS', 'Email or password is wrong');
    }
    if (!(await verifyPassword(row.passwordHash, input.password))) {
      throw new DomainError('INVALID_CREDENTIALS', 'Email or password is wrong');
    }
    return this.startSession(row);
  }

  /** Rotates the refresh token. Presenting a used token revokes its whole family (theft signal). */
  async refresh(refreshToken: string): Promise<{ accessToken: string; refreshToken: string }> {
    const tokenHash = hashToken(refreshToken);
    const consumed = await this.repo.consumeRefreshToken(tokenHash);
    if (!consumed) {
      const known = await this.repo.findRefreshToken(tokenHash);
      if (known?.usedAt) await this.repo.revokeFamily(known.familyId);
      throw new DomainError('UNAUTHENTICATED', 'Refresh token is invalid, expired or already used');
    }
    const user = await this.repo.findUserById(consumed.userId);
    if (!user) throw new DomainError('UNAUTHENTICATED', 'Account no longer exists');
    return this.issueTokens(user, consumed.familyId);
  }

  async me(userId: string): Promise<User> {
    const row = await this.repo.findUserById(userId);
    if (!row) throw new DomainError('UNAUTHENTICATED', 'Account no longer exists');
    return toUser(row);
  }

  async bootstrapAdmin(email: string, password: string): Promise<User> {
    const row = await this.repo.upsertAdmin({
      email: normalizeEmail(email),
      name: 'Administrator',
      passwordHash: await hashPassword(password),
    });
    return toUser(row);
  }

  private async startSession(row: UserRow): Promise<Session> {
    const tokens = await this.issueTokens(row, randomUUID());
    return { user: toUser(row), ...tokens };
  }

  private async issueTokens(row: UserRow, familyId: string) {
    const refreshToken = newRefreshToken();
    await this.repo.storeRefreshToken({
      userId: row.id,
      familyId,
      tokenHash: hashToken(refreshToken),
      expiresAt: new Date(Date.now() + REFRESH_TOKEN_TTL_SECONDS * 1000),
    });
    const accessToken = await this.signer.sign({ userId: row.id, role: row.role });
    return { accessToken, refreshToken };
  }
}
