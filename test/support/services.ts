/**
 * Whether the external services of the scale-out suites answer. A developer without PostgreSQL or Redis
 * gets those suites skipped with a loud warning; CI sets `TESSERA_REQUIRE_SERVICES=1` (see `.ci/run`), and
 * there a missing service fails the run instead, so a green CI can never mean "skipped".
 *
 * Addresses come from `TESSERA_TEST_DATABASE_URL` and `TESSERA_TEST_REDIS_URL`, defaulting to the local
 * services the development machine runs.
 */
import { connect as connectTcp, type Socket } from 'node:net'
import { connect as connectTls } from 'node:tls'
import { Client } from 'pg'

/** How long a service may take to answer before it counts as absent. */
const PROBE_TIMEOUT_MS = 2000

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test'
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379'

/** Host, port and path of a service URL, never its credentials, for the warning line. */
function describeAddress(url: string): string {
  const parsed = new URL(url)
  return `${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`
}

function reportMissing(service: string, suites: string, url: string): undefined {
  const where = describeAddress(url)
  if (process.env.TESSERA_REQUIRE_SERVICES === '1') {
    throw new Error(`${service} not reachable at ${where}, and TESSERA_REQUIRE_SERVICES=1 requires it`)
  }
  console.warn(`!!! ${service} not reachable at ${where}: ${suites} suites SKIPPED`)
  return undefined
}

async function answersPostgres(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('select 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

/**
 * The URL of a PostgreSQL that answers `select 1` within 2 s, or undefined (after a warning) when there is
 * none; throws instead when `TESSERA_REQUIRE_SERVICES=1`.
 *
 * @example
 * const databaseUrl = await requirePostgres()
 * describe('postgres store', { skip: databaseUrl === undefined }, () => { … })
 */
export async function requirePostgres(): Promise<string | undefined> {
  const url = process.env.TESSERA_TEST_DATABASE_URL ?? DEFAULT_DATABASE_URL
  return (await answersPostgres(url)) ? url : reportMissing('PostgreSQL', 'postgres', url)
}

function openSocket(url: URL): Socket {
  const port = Number(url.port || '6379')
  const host = url.hostname.replace(/^\[|\]$/g, '')
  return url.protocol === 'rediss:'
    ? connectTls({ host, port, servername: host })
    : connectTcp({ host, port })
}

/** Sends an inline `PING`; any RESP reply (`+PONG`, or `-NOAUTH` from a server wanting a password) counts. */
function answersRedis(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = openSocket(new URL(url))
    const finish = (isAnswering: boolean): void => {
      socket.destroy()
      resolve(isAnswering)
    }
    socket.setTimeout(PROBE_TIMEOUT_MS, () => finish(false))
    socket.once('error', () => finish(false))
    socket.once('data', (chunk: Buffer) => finish(chunk[0] === 0x2b || chunk[0] === 0x2d))
    socket.write('PING\r\n')
  })
}

/**
 * The URL of a Redis that answers a raw `PING` within 2 s, or undefined (after a warning) when there is
 * none; throws instead when `TESSERA_REQUIRE_SERVICES=1`. No Redis client is needed for the check.
 *
 * @example
 * const redisUrl = await requireRedis()
 * describe('redis throttle', { skip: redisUrl === undefined }, () => { … })
 */
export async function requireRedis(): Promise<string | undefined> {
  const url = process.env.TESSERA_TEST_REDIS_URL ?? DEFAULT_REDIS_URL
  return (await answersRedis(url)) ? url : reportMissing('Redis', 'redis', url)
}
