/**
 * Throwaway PostgreSQL databases for benchmarks: each contender gets a fresh `tessera_bench_<random>`
 * database on the server of `TESSERA_BENCH_POSTGRES_URL` (default the development server,
 * postgres://postgres@127.0.0.1:5432/postgres), dropped again at the end. Only databases this process
 * created are ever dropped.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'

const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres'

export interface BenchDatabase {
  /** Connection URL of the new database. */
  readonly url: string
  drop(): Promise<void>
}

export interface BenchPostgres {
  createDatabase(): Promise<BenchDatabase>
  close(): Promise<void>
}

/**
 * Connects to the PostgreSQL server, or resolves with the reason it is unreachable.
 *
 * @example
 * const postgres = await connectBenchPostgres()
 * if ('unreachable' in postgres) console.error(postgres.unreachable)
 */
export async function connectBenchPostgres(): Promise<BenchPostgres | { readonly unreachable: string }> {
  const adminUrl = process.env.TESSERA_BENCH_POSTGRES_URL ?? DEFAULT_ADMIN_URL
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 })
  try {
    await admin.connect()
  } catch (error) {
    await admin.end().catch(() => undefined)
    return {
      unreachable: `${new URL(adminUrl).host}: ${error instanceof Error ? error.message : String(error)}`,
    }
  }
  return {
    async createDatabase() {
      // Lower-case hex only, so the name needs no quoting.
      const name = `tessera_bench_${randomBytes(6).toString('hex')}`
      await admin.query(`CREATE DATABASE ${name}`)
      const url = new URL(adminUrl)
      url.pathname = `/${name}`
      return {
        url: url.href,
        // WITH (FORCE) (PostgreSQL 13+) ends pool connections a crashed child may have left behind.
        drop: async () => void (await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
      }
    },
    close: () => admin.end(),
  }
}
