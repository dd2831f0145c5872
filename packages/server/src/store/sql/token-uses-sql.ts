/**
 * `TokenUses` over any Kysely dialect: one upsert decides each use. `INSERT … ON CONFLICT (iss, jti) DO
 * UPDATE SET uses = uses + 1 WHERE uses < max_uses RETURNING uses` is a single atomic statement on SQLite
 * (≥ 3.35) and PostgreSQL: the row lock (PostgreSQL) or the write lock (SQLite) serialises concurrent
 * callers, and a caller whose WHERE fails gets no row back, which is the refusal.
 */
import type { Kysely } from 'kysely'
import type { TokenUseDecision, TokenUseInput, TokenUses } from '../ports.ts'
import type { ServiceDatabase } from '../service-database-schema.ts'
import { readRow } from './row-reader.ts'

/** The `TokenUses` port on SQL. */
export class SqlTokenUses implements TokenUses {
  readonly #db: Kysely<ServiceDatabase>

  constructor(db: Kysely<ServiceDatabase>) {
    this.#db = db
  }

  async consume(input: TokenUseInput): Promise<TokenUseDecision> {
    if (!Number.isSafeInteger(input.maxUses) || input.maxUses < 1) {
      throw new RangeError('maxUses must be a positive integer')
    }
    const row = await this.#db.transaction().execute((trx) =>
      trx
        .insertInto('token_uses')
        .values({
          iss: input.iss,
          jti: input.jti,
          uses: 1,
          max_uses: input.maxUses,
          expires_at: input.expiresAt,
        })
        .onConflict((conflict) =>
          conflict
            .columns(['iss', 'jti'])
            .doUpdateSet((eb) => ({ uses: eb(eb.ref('token_uses.uses'), '+', 1) }))
            .where((eb) => eb(eb.ref('token_uses.uses'), '<', eb.ref('token_uses.max_uses'))),
        )
        .returning(['uses', 'max_uses'])
        .executeTakeFirst(),
    )
    if (row === undefined) return { allowed: false, remaining: 0 }
    // `instant` reads any safe integer, including PostgreSQL's bigint-as-string; these are counts.
    const r = readRow('token_uses', row)
    const uses = r.instant('uses')
    const maxUses = r.instant('max_uses')
    return { allowed: true, remaining: Math.max(0, maxUses - uses) }
  }

  async purgeExpired(now: number): Promise<number> {
    const result = await this.#db
      .transaction()
      .execute((trx) => trx.deleteFrom('token_uses').where('expires_at', '<', now).executeTakeFirst())
    return Number(result.numDeletedRows)
  }
}
