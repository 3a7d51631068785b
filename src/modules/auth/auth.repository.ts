// Persistence of users and refresh-token families.
import type { Db } from '../../platform/db/database.js';
import type { Role, UserRow } from '../../platform/db/schema.js';

export class AuthRepository {
  constructor(private readonly db: Db) {}

  findUserByEmail(email: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
  }

  findUserById(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Inserts the user; returns undefined when the email is taken (unique key arbitrates races). */
  createUser(input: {
    email: string;
    name: string;
    passwordHash: string;
    role?: Role;
  }): Promise<UserRow | undefined> {
    return this.db
      .insertInto('users')
      .values({
        email: input.email,
        name: input.name,
        passwordHash: input.passwordHash,
        role: input.role ?? 'user',
      })
      .onConflict((oc) => oc.column('email').doNothing())
      .returningAll()
      .executeTakeFirst();
  }

  /** Creates the admin or promotes the existing account, in one statement: never a duplicate. */
  upsertAdmin(input: { email: string; name: string; passwordHash: string }): Promise<UserRow> {
    return this.db
      .insertInto('users')
      .values({ ...input, role: 'admin' })
      .onConflict((oc) =>
        oc
          .column('email')
          .doUpdateSet({ role: 'admin', passwordHash: input.passwordHash, updatedAt: new Date() }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async storeRefreshToken(input: { userId: string; familyId: string; tokenHash: string; expiresAt: Date }) {
    await this.db.insertInto('refreshTokens').values(input).execute();
  }

  /**
   * Marks an unused, unrevoked, unexpired token as used (compare-and-set, so one presentation
   * wins) and returns it; undefined when the token cannot be used.
   */
  consumeRefreshToken(tokenHash: string) {
    return this.db
      .updateTable('refreshTokens')
      .set({ usedAt: new Date() })
      .where('tokenHash', '=', tokenHash)
      .where('usedAt', 'is', null)
      .where('revokedAt', 'is', null)
      .where('expiresAt', '>', new Date())
      .returning(['userId', 'familyId'])
      .executeTakeFirst();
  }

  findRefreshToken(tokenHash: string) {
    return this.db
      .selectFrom('refreshTokens')
      .select(['familyId', 'usedAt', 'revokedAt'])
      .where('tokenHash', '=', tokenHash)
      .executeTakeFirst();
  }

  async revokeFamily(familyId: string): Promise<void> {
    await this.db
      .updateTable('refreshTokens')
      .set({ revokedAt: new Date() })
      .where('familyId', '=', familyId)
      .where('revokedAt', 'is', null)
      .execute();
  }
}
