/**
 * `Users` over any Kysely dialect. Uniqueness of the address is decided by the `users_email_unique`
 * index inside the insert itself, never by a read before it.
 */
import type { Kysely } from 'kysely'
import type { Database } from '../database-schema.ts'
import type { CreateUserOutcome, NewUser, UserNotBeforeRecord, UserRecord, Users } from '../ports.ts'
import { parseUserRow } from './parse-records.ts'
import { listNotBeforeSince } from './revocation-listing-sql.ts'
import { runWriteTransaction } from './run-write-transaction.ts'

/** The `Users` port on SQL. */
export class SqlUsers implements Users {
  readonly #db: Kysely<Database>

  constructor(db: Kysely<Database>) {
    this.#db = db
  }

  async create(user: NewUser): Promise<CreateUserOutcome> {
    // ON CONFLICT (email) DO NOTHING: the unique index decides atomically on both SQLite and PostgreSQL
    // (the loser of a race waits for the winner's commit, then inserts nothing), and an id collision
    // still fails loudly instead of passing for a taken address.
    const row = await runWriteTransaction(this.#db, (trx) =>
      trx
        .insertInto('users')
        .values({
          id: user.id,
          email: user.email,
          name: user.name,
          password_hash: user.passwordHash,
          disabled: 0,
          not_before_at: null,
          created_at: user.createdAt,
          updated_at: user.createdAt,
        })
        .onConflict((conflict) => conflict.column('email').doNothing())
        .returningAll()
        .executeTakeFirst(),
    )
    if (row === undefined) return { ok: false, reason: 'email_taken' }
    return { ok: true, user: parseUserRow(row) }
  }

  async findById(id: string): Promise<UserRecord | undefined> {
    const row = await this.#db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
    return row === undefined ? undefined : parseUserRow(row)
  }

  async findByEmail(email: string): Promise<UserRecord | undefined> {
    const row = await this.#db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst()
    return row === undefined ? undefined : parseUserRow(row)
  }

  async list(options: { readonly limit: number; readonly afterId?: string }): Promise<UserRecord[]> {
    if (!Number.isSafeInteger(options.limit) || options.limit < 1) {
      throw new RangeError('limit must be a positive integer')
    }
    const { afterId } = options
    let query = this.#db.selectFrom('users').selectAll().orderBy('users.created_at').orderBy('users.id')
    if (afterId !== undefined) {
      // Keyset continuation on (created_at, id). An unknown afterId matches nothing: the listing is over.
      query = query.where((eb) => {
        const afterCreatedAt = eb
          .selectFrom('users as after')
          .select('after.created_at')
          .where('after.id', '=', afterId)
        return eb.or([
          eb('users.created_at', '>', afterCreatedAt),
          eb.and([eb('users.created_at', '=', afterCreatedAt), eb('users.id', '>', afterId)]),
        ])
      })
    }
    const rows = await query.limit(options.limit).execute()
    return rows.map(parseUserRow)
  }

  async setPasswordHash(id: string, passwordHash: string, at: number): Promise<boolean> {
    return await this.#updateUser(id, { password_hash: passwordHash, updated_at: at })
  }

  async setDisabled(id: string, disabled: boolean, at: number): Promise<boolean> {
    return await this.#updateUser(id, { disabled: disabled ? 1 : 0, updated_at: at })
  }

  async raiseNotBefore(id: string, at: number): Promise<boolean> {
    // One UPDATE computing the maximum in SQL, so concurrent calls cannot lower it (a read-then-write
    // would let the smaller value land last). CASE rather than max()/GREATEST(): both dialects speak it.
    const result = await runWriteTransaction(this.#db, (trx) =>
      trx
        .updateTable('users')
        .set((eb) => ({
          not_before_at: eb
            .case()
            .when(eb.or([eb('not_before_at', 'is', null), eb('not_before_at', '<', at)]))
            .then(at)
            .else(eb.ref('not_before_at').$castTo<number>())
            .end(),
          updated_at: eb
            .case()
            .when('updated_at', '<', at)
            .then(at)
            .else(eb.ref('updated_at').$castTo<number>())
            .end(),
        }))
        .where('id', '=', id)
        .executeTakeFirst(),
    )
    return result.numUpdatedRows > 0n
  }

  async listNotBeforeSince(since: number): Promise<UserNotBeforeRecord[]> {
    return await listNotBeforeSince(this.#db, since)
  }

  async #updateUser(
    id: string,
    changes: { readonly password_hash?: string; readonly disabled?: 0 | 1; readonly updated_at: number },
  ): Promise<boolean> {
    const result = await runWriteTransaction(this.#db, (trx) =>
      trx.updateTable('users').set(changes).where('id', '=', id).executeTakeFirst(),
    )
    return result.numUpdatedRows > 0n
  }
}
