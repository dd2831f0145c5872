/**
 * `SigningKeys` over any Kysely dialect. Instances sharing one database agree on the key ring without a
 * coordinator: the partial unique indexes `signing_keys_one_next` and `signing_keys_one_current` admit at
 * most one key in each of those states, and every state change is a conditional UPDATE.
 */
import { type Kysely, sql } from 'kysely'
import type { Database } from '../database-schema.ts'
import type { SigningKeyRecord, SigningKeys } from '../ports.ts'
import { parseSigningKeyRow } from './parse-records.ts'
import { runWriteTransaction } from './run-write-transaction.ts'
import type { SqlDialectTraits } from './sql-dialect-traits.ts'

/** Thrown inside `promote` to roll its transaction back when another instance got there first. */
class PromotionLost extends Error {}

/** The `SigningKeys` port on SQL. */
export class SqlSigningKeys implements SigningKeys {
  readonly #db: Kysely<Database>
  readonly #traits: SqlDialectTraits

  constructor(db: Kysely<Database>, traits: SqlDialectTraits) {
    this.#db = db
    this.#traits = traits
  }

  async listPublished(now: number): Promise<SigningKeyRecord[]> {
    const rows = await this.#db
      .selectFrom('signing_keys')
      .selectAll()
      .where((eb) =>
        eb.or([
          eb('state', 'in', ['next', 'current']),
          eb.and([eb('state', '=', 'retired'), eb('publish_until', '>', now)]),
        ]),
      )
      .orderBy('created_at')
      .orderBy('kid')
      .execute()
    return rows.map(parseSigningKeyRow)
  }

  async listAll(): Promise<SigningKeyRecord[]> {
    const rows = await this.#db
      .selectFrom('signing_keys')
      .selectAll()
      .orderBy('created_at')
      .orderBy('kid')
      .execute()
    return rows.map(parseSigningKeyRow)
  }

  async insert(key: SigningKeyRecord): Promise<boolean> {
    if (key.state === 'retired') throw new RangeError('only a next or current key can be inserted')
    try {
      await runWriteTransaction(this.#db, (trx) =>
        trx
          .insertInto('signing_keys')
          .values({
            kid: key.kid,
            alg: key.alg,
            state: key.state,
            public_jwk: key.publicJwk,
            private_key_ciphertext: key.privateKeyCiphertext,
            created_at: key.createdAt,
            activated_at: key.activatedAt,
            retired_at: key.retiredAt,
            publish_until: key.publishUntil,
          })
          .execute(),
      )
      return true
    } catch (error) {
      // Another instance's key already holds this state (or this kid): it won, we write nothing.
      if (this.#traits.isUniqueViolation(error)) return false
      throw error
    }
  }

  async promote(change: {
    readonly nextKid: string
    readonly currentKid: string | null
    readonly now: number
    readonly retiredPublishUntil: number
  }): Promise<boolean> {
    const { nextKid, currentKid, now } = change
    try {
      await runWriteTransaction(this.#db, async (trx) => {
        // Retire first: the one-current index is checked per statement, so two currents may never coexist.
        if (currentKid !== null) {
          const retired = await trx
            .updateTable('signing_keys')
            .set({ state: 'retired', retired_at: now, publish_until: change.retiredPublishUntil })
            .where('kid', '=', currentKid)
            .where('state', '=', 'current')
            .executeTakeFirst()
          if (retired.numUpdatedRows === 0n) throw new PromotionLost()
        }
        const promoted = await trx
          .updateTable('signing_keys')
          .set({ state: 'current', activated_at: now })
          .where('kid', '=', nextKid)
          .where('state', '=', 'next')
          .executeTakeFirst()
        if (promoted.numUpdatedRows === 0n) throw new PromotionLost()
      })
      return true
    } catch (error) {
      // Lost the race (the ring moved on) or, with currentKid null, a current key appeared meanwhile.
      if (error instanceof PromotionLost || this.#traits.isUniqueViolation(error)) return false
      throw error
    }
  }

  async retire(
    kid: string,
    change: { readonly now: number; readonly publishUntil: number },
  ): Promise<boolean> {
    const result = await runWriteTransaction(this.#db, (trx) =>
      trx
        .updateTable('signing_keys')
        .set({ state: 'retired', retired_at: change.now, publish_until: change.publishUntil })
        .where('kid', '=', kid)
        .where('state', 'in', ['next', 'current'])
        .executeTakeFirst(),
    )
    return result.numUpdatedRows > 0n
  }

  async withdraw(kid: string, now: number): Promise<boolean> {
    // One conditional UPDATE: the WHERE is the compare-and-set, and it never matches the current key.
    const result = await runWriteTransaction(this.#db, (trx) =>
      trx
        .updateTable('signing_keys')
        .set({
          state: 'retired',
          // A retired key keeps the instant it was retired; a withdrawn `next` is retired now.
          retired_at: sql<number>`coalesce(${sql.ref('retired_at')}, ${now})`,
          publish_until: now,
        })
        .where('kid', '=', kid)
        .where((eb) =>
          eb.or([
            eb('state', '=', 'next'),
            eb.and([eb('state', '=', 'retired'), eb('publish_until', '>', now)]),
          ]),
        )
        .executeTakeFirst(),
    )
    return result.numUpdatedRows > 0n
  }

  async purgeExpired(now: number): Promise<number> {
    // Exactly the retired keys listPublished no longer shows (a retired key without an end is unpublished).
    const result = await runWriteTransaction(this.#db, (trx) =>
      trx
        .deleteFrom('signing_keys')
        .where('state', '=', 'retired')
        .where((eb) => eb.or([eb('publish_until', 'is', null), eb('publish_until', '<=', now)]))
        .executeTakeFirst(),
    )
    return Number(result.numDeletedRows)
  }
}
