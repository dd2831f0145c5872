/**
 * `Clients` over any Kysely dialect. The secret arrives already hashed; scopes are stored as one
 * space-separated column (scope tokens cannot contain a space, RFC 6749 §3.3).
 */
import type { Kysely } from 'kysely'
import type { ClientRecord, Clients, NewClient } from '../ports.ts'
import type { ServiceDatabase } from '../service-database-schema.ts'
import { parseClientRow } from './parse-service-records.ts'

/** The `Clients` port on SQL. */
export class SqlClients implements Clients {
  readonly #db: Kysely<ServiceDatabase>

  constructor(db: Kysely<ServiceDatabase>) {
    this.#db = db
  }

  async create(client: NewClient): Promise<ClientRecord> {
    // A transaction like every write of this store: on SQLite the driver begins it IMMEDIATE.
    const row = await this.#db.transaction().execute((trx) =>
      trx
        .insertInto('clients')
        .values({
          id: client.id,
          name: client.name,
          secret_hash: client.secretHash,
          scopes: [...new Set(client.scopes)].sort().join(' '),
          created_at: client.createdAt,
          disabled: 0,
        })
        .returningAll()
        .executeTakeFirstOrThrow(),
    )
    return parseClientRow(row)
  }

  async findById(id: string): Promise<ClientRecord | undefined> {
    const row = await this.#db.selectFrom('clients').selectAll().where('id', '=', id).executeTakeFirst()
    return row === undefined ? undefined : parseClientRow(row)
  }

  async list(options: { readonly limit: number; readonly afterId?: string }): Promise<ClientRecord[]> {
    if (!Number.isSafeInteger(options.limit) || options.limit < 1) {
      throw new RangeError('limit must be a positive integer')
    }
    const { afterId } = options
    let query = this.#db.selectFrom('clients').selectAll().orderBy('clients.created_at').orderBy('clients.id')
    if (afterId !== undefined) {
      // Keyset continuation on (created_at, id), as Users.list. An unknown afterId ends the listing.
      query = query.where((eb) => {
        const afterCreatedAt = eb
          .selectFrom('clients as after')
          .select('after.created_at')
          .where('after.id', '=', afterId)
        return eb.or([
          eb('clients.created_at', '>', afterCreatedAt),
          eb.and([eb('clients.created_at', '=', afterCreatedAt), eb('clients.id', '>', afterId)]),
        ])
      })
    }
    const rows = await query.limit(options.limit).execute()
    return rows.map(parseClientRow)
  }
}
