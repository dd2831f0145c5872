/**
 * The Kysely dialect migrations run on: PostgreSQL's, with an introspector that looks only at the store's
 * own schema.
 *
 * Kysely's Migrator asks the introspector whether its bookkeeping tables exist. The stock PostgreSQL
 * introspector answers by listing every table of every schema with `has_schema_privilege(name, …)`, which
 * fails with SQLSTATE 3F000 when another session drops a schema during the scan: a startup could fail
 * because of an unrelated schema (the test suite, which gives every store its own schema, hit it). It also
 * scans the whole catalog of a database shared with other applications. Catalog reads by OID, limited to
 * `current_schema()`, have neither problem.
 */
import {
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type Dialect,
  type Kysely,
  PostgresDialect,
  type PostgresPool,
  type SchemaMetadata,
  sql,
  type TableMetadata,
} from 'kysely'

/** Answers the Migrator's questions about the current schema; sees nothing else. */
class CurrentSchemaIntrospector implements DatabaseIntrospector {
  readonly #db: Kysely<unknown>

  constructor(db: Kysely<unknown>) {
    this.#db = db
  }

  async getSchemas(): Promise<SchemaMetadata[]> {
    const { rows } = await sql<{ readonly name: unknown }>`
      select nspname as name from pg_catalog.pg_namespace`.execute(this.#db)
    return rows.flatMap((row) => (typeof row.name === 'string' ? [{ name: row.name }] : []))
  }

  /** Tables of `current_schema()` by name, without columns: the Migrator reads names and schemas only. */
  async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<{ readonly name: unknown; readonly schema: unknown }>`
      select c.relname as name, n.nspname as schema
        from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
       where n.nspname = current_schema() and c.relkind in ('r', 'p')`.execute(this.#db)
    return rows.flatMap((row) =>
      typeof row.name === 'string' && typeof row.schema === 'string'
        ? [{ name: row.name, schema: row.schema, isView: false, columns: [] }]
        : [],
    )
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() }
  }
}

class MigrationDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new CurrentSchemaIntrospector(db)
  }
}

/**
 * The dialect for the Kysely instance that runs migrations over `pool`.
 *
 * @example
 * const db = new Kysely<Database>({ dialect: createMigrationDialect(pool) })
 * await migrateToLatest(db, { schema })
 */
export function createMigrationDialect(pool: PostgresPool): Dialect {
  return new MigrationDialect({ pool })
}
