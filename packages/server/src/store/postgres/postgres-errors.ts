/**
 * When PostgreSQL cannot be reached, or is shedding load, a request should be answered with a retryable
 * 503 and `Retry-After`, never a 500: the client's retry (or the load balancer's) will likely succeed once
 * the database is back, and no state was changed (the transaction never committed).
 *
 * This module decides which driver failures mean "unavailable" and replaces them with one error of ours.
 * The driver's error travels only as `cause`: its message may quote a host, a user or a row value.
 */
import { postgresSqlState } from './postgres-dialect-traits.ts'

/** How long a client should wait before retrying: about one failover or restart of a managed database. */
const RETRY_AFTER_SECONDS = 5

/**
 * SQLSTATEs that mean the database, not the request, is the problem (PostgreSQL Appendix A):
 * 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up or in recovery),
 * 53300 too_many_connections, 57014 query_canceled (our statement timeout fired: overloaded or locked),
 * 55P03 lock_not_available (a lock timeout), 25006 read_only_sql_transaction (a standby after failover).
 * Class 08 (connection exception) is matched by prefix.
 */
const UNAVAILABLE_SQL_STATES: ReadonlySet<string> = new Set([
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '57014',
  '55P03',
  '25006',
])

/** Socket-level failures reported by Node as `error.code`. */
const UNAVAILABLE_SYSTEM_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
])

/**
 * node-postgres (pinned at 8.23.1) raises these without any code when a connection dies under a query or
 * when a query is sent on a connection that already died; matching its exact wording is the only way to
 * tell them apart from bugs, which must stay 500s. `postgres-faults.test.ts` produces them against a real
 * server. (Failures to obtain a connection need no such list: every one of them means unavailable.)
 */
const UNAVAILABLE_DRIVER_MESSAGES: ReadonlySet<string> = new Set([
  'Connection terminated unexpectedly',
  'Client has encountered a connection error and is not queryable',
])

/** The database cannot serve the request right now; retry after `retryAfterSeconds`. */
export class PostgresUnavailableError extends Error {
  static readonly code = 'store_unavailable'
  readonly code = 'store_unavailable'
  readonly retryAfterSeconds: number

  constructor(options?: ErrorOptions) {
    super('the database is unavailable', options)
    this.name = 'PostgresUnavailableError'
    this.retryAfterSeconds = RETRY_AFTER_SECONDS
  }
}

function systemCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined
  return typeof error.code === 'string' ? error.code : undefined
}

/**
 * True when `error`, raised while running a statement, means the database is unreachable or shedding
 * load rather than that the statement is wrong.
 *
 * @example
 * isPostgresUnavailable(new Error('Connection terminated unexpectedly')) // true
 */
export function isPostgresUnavailable(error: unknown): boolean {
  const sqlState = postgresSqlState(error)
  if (sqlState !== undefined) return sqlState.startsWith('08') || UNAVAILABLE_SQL_STATES.has(sqlState)
  const code = systemCode(error)
  if (code !== undefined && UNAVAILABLE_SYSTEM_CODES.has(code)) return true
  if (error instanceof AggregateError) return error.errors.some(isPostgresUnavailable)
  return error instanceof Error && UNAVAILABLE_DRIVER_MESSAGES.has(error.message)
}

/**
 * Replaces a driver failure with `PostgresUnavailableError` when it means "unavailable", and returns any
 * other error unchanged. `phase: 'connect'` treats every failure to obtain a connection as unavailable
 * (refused, timed out, DNS, too many clients, and also rejected credentials: a rotated password is an
 * outage to the client, not a bad request).
 *
 * @example
 * const client = await pool.connect().catch((error) => { throw toStoreFailure(error, 'connect') })
 */
export function toStoreFailure(error: unknown, phase: 'connect' | 'query'): unknown {
  if (error instanceof PostgresUnavailableError) return error
  if (phase === 'connect' || isPostgresUnavailable(error)) {
    return new PostgresUnavailableError({ cause: error })
  }
  return error
}
