/**
 * `OidcLogins` over any Kysely dialect. `consume` is one conditional `UPDATE … RETURNING`: on PostgreSQL a
 * second caller blocks on the row lock and then re-checks `consumed_at IS NULL` against the committed row;
 * on SQLite the write lock serialises the callers. Either way exactly one gets the row back.
 */
import type { Kysely } from 'kysely'
import type { OidcDatabase } from '../oidc-database-schema.ts'
import type { OidcLoginRecord, OidcLogins } from '../oidc-ports.ts'
import { parseOidcLoginRow } from './parse-oidc-records.ts'

/** The `OidcLogins` port on SQL. */
export class SqlOidcLogins implements OidcLogins {
  readonly #db: Kysely<OidcDatabase>

  constructor(db: Kysely<OidcDatabase>) {
    this.#db = db
  }

  async create(login: OidcLoginRecord): Promise<void> {
    // A state hash is the key: 256-bit random states never collide, so a collision rejects as a bug.
    await this.#db.transaction().execute((trx) =>
      trx
        .insertInto('oidc_logins')
        .values({
          state_hash: login.stateHash,
          provider_id: login.providerId,
          browser_hash: login.browserHash,
          return_to: login.returnTo,
          intent: login.intent,
          user_id: login.userId,
          created_at: login.createdAt,
          expires_at: login.expiresAt,
          consumed_at: null,
        })
        .executeTakeFirstOrThrow(),
    )
  }

  async consume(stateHash: string, now: number): Promise<OidcLoginRecord | undefined> {
    // RFC 6749 §10.12: `state` ties the callback to the browser that started it, and it is good for one
    // callback only: a replayed or leaked callback URL finds `consumed_at` set and gets nothing. An expiry
    // equal to `now` counts as expired.
    const row = await this.#db
      .transaction()
      .execute((trx) =>
        trx
          .updateTable('oidc_logins')
          .set({ consumed_at: now })
          .where('state_hash', '=', stateHash)
          .where('consumed_at', 'is', null)
          .where('expires_at', '>', now)
          .returningAll()
          .executeTakeFirst(),
      )
    return row === undefined ? undefined : parseOidcLoginRow(row)
  }

  async purgeExpired(before: number): Promise<number> {
    // Consumed or not: a consumed row outlives its use only to refuse replays, and past its expiry
    // `consume` refuses those anyway.
    const result = await this.#db
      .transaction()
      .execute((trx) => trx.deleteFrom('oidc_logins').where('expires_at', '<', before).executeTakeFirst())
    return Number(result.numDeletedRows)
  }
}
