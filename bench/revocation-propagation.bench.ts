/**
 * Revocation propagation, from a logout answered by the auth server to a guard refusing that session's access
 * token, over the two transports side by side in one run. Targets: p99 ≤ 100 ms over Redis (server → XADD on
 * the event stream → the guard's XREAD BLOCK), p99 ≤ 1 s over the SSE feed (`GET /v1/revocations` through the
 * auth server).
 *
 * Everything runs in this process on loopback: one auth server (SQLite, the system clock, its real URL as the
 * issuer; with Redis at `TESSERA_TEST_REDIS_URL`, default redis://127.0.0.1:6379, under a fresh key prefix
 * that is swept at the end) and two guards, one per transport. Sessions come from `POST /v1/signup`. Each
 * session's access token is first verified at both guards, so it sits in their verified-token caches (the
 * common case: a token that has been in use). Then, one session at a time: `POST /v1/logout` with its refresh
 * token; t0 when the response arrives; each guard's `verifyToken` is polled every millisecond until it refuses
 * with `session_revoked` (t1). A guard that has not refused within 5 s is a failure, as is any other outcome.
 * A random pause of 5–25 ms separates logouts. The first 10 sessions are a warm-up, reported apart. The
 * JSON also times each refusal from the logout request's start (`sinceLogoutSent`): t0 is when the client
 * saw the answer, and on loopback a guard often hears of the revocation before that.
 *
 * Without Redis it says so loudly and measures the SSE feed alone. `--sessions=N` (default 300). JSON: stdout
 * and bench/results/revocation-propagation.json.
 */
import { randomInt } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { systemClock } from '@tessera/core'
import { createRedisConnection } from '@tessera/redis'
import { createGuard, type Guard, GuardError } from '../packages/guard/src/index.ts'
import { openRedisTestScope, type RedisTestScope } from '../packages/redis/src/redis-test-scope.ts'
import { createTestClient } from '../test/support/service-clients.ts'
import { requireRedis } from '../test/support/services.ts'
import { signUp, startTestServer, type TestServer } from '../test/support/test-server.ts'
import type { BenchDefinition } from './harness.ts'
import { startRun, writeBenchJson } from './support/bench-report.ts'
import {
  formatPropagationTable,
  type PropagationFailure,
  summarizePropagation,
  type Transport,
} from './support/propagation-report.ts'

const AUDIENCE = 'orders-api'
const WARMUP_SESSIONS = 10
const SIGNUP_CONCURRENCY = 4
const POLL_MS = 1
const GIVE_UP_MS = 5000
const PAUSE_MS = { min: 5, max: 25 } as const
const LIVE_TIMEOUT_MS = 15_000
const TARGET_P99_MS: Readonly<Record<Transport, number>> = { Redis: 100, SSE: 1000 }

interface Session {
  readonly accessToken: string
  readonly refreshToken: string
}

interface Setup {
  readonly server: TestServer
  readonly guards: ReadonlyMap<Transport, Guard>
  readonly redis: { readonly scope: RedisTestScope; close(): void } | undefined
}

function sessionsFromArgs(): number {
  const argument = process.argv.find((arg) => arg.startsWith('--sessions='))
  const sessions = argument === undefined ? 300 : Number(argument.slice('--sessions='.length))
  if (!Number.isSafeInteger(sessions) || sessions < 1) throw new RangeError(`bad ${argument}`)
  return sessions
}

async function start(redisUrl: string | undefined): Promise<Setup> {
  const admin = redisUrl === undefined ? undefined : createRedisConnection(redisUrl, { name: 'bench-admin' })
  const scope = admin === undefined ? undefined : openRedisTestScope(admin)
  const redisEnv =
    redisUrl === undefined || scope === undefined
      ? {}
      : { TESSERA_REDIS_URL: redisUrl, TESSERA_REDIS_KEY_PREFIX: scope.keyPrefix }
  const server = await startTestServer({
    realIssuer: true,
    // Propagation is wall-clock time, and the guards check dates against the system clock too.
    clock: systemClock,
    env: { TESSERA_ACCESS_TOKEN_AUDIENCES: AUDIENCE, TESSERA_LOG_LEVEL: 'silent', ...redisEnv },
  }).catch((error: unknown) => {
    // An open Redis connection would keep the process alive after the failure.
    admin?.disconnect()
    throw error
  })
  const client = await createTestClient(server, 'revocations:read', 'bench revocation feed')
  const guards = new Map<Transport, Guard>()
  const common = { issuer: server.url, audience: AUDIENCE }
  if (redisUrl !== undefined && scope !== undefined) {
    guards.set('Redis', createGuard({ ...common, redis: { url: redisUrl, keyPrefix: scope.keyPrefix } }))
  }
  guards.set('SSE', createGuard({ ...common, client: { id: client.id, secret: client.secret } }))
  const redis =
    admin === undefined || scope === undefined ? undefined : { scope, close: () => admin.disconnect() }
  return { server, guards, redis }
}

async function stop({ server, guards, redis }: Setup): Promise<void> {
  // Guards first: with the server gone the SSE guard would keep reconnecting.
  await Promise.all([...guards.values()].map((guard) => guard.close()))
  await server.close()
  if (redis !== undefined) {
    const swept = await redis.scope.dropKeys()
    console.log(`swept ${swept} Redis keys under ${redis.scope.keyPrefix}`)
    redis.close()
  }
}

async function waitUntilLive(guards: ReadonlyMap<Transport, Guard>): Promise<void> {
  const deadline = performance.now() + LIVE_TIMEOUT_MS
  for (const [transport, guard] of guards) {
    while (guard.health().revocation.state !== 'live') {
      if (performance.now() > deadline) {
        throw new Error(`${transport} guard not live: ${JSON.stringify(guard.health().revocation)}`)
      }
      await sleep(20)
    }
  }
}

async function createSessions(url: string, count: number): Promise<Session[]> {
  const sessions: Session[] = []
  for (let start = 0; start < count; start += SIGNUP_CONCURRENCY) {
    const batch = Math.min(SIGNUP_CONCURRENCY, count - start)
    const users = await Promise.all(Array.from({ length: batch }, () => signUp(url)))
    sessions.push(...users.map(({ accessToken, refreshToken }) => ({ accessToken, refreshToken })))
  }
  return sessions
}

/** The refusal reason, or undefined when the token is still accepted. */
async function refusalOf(guard: Guard, token: string): Promise<string | undefined> {
  try {
    await guard.verifyToken(token)
    return undefined
  } catch (error) {
    if (error instanceof GuardError) return error.reason
    throw error
  }
}

/** Milliseconds from t0 to the first refusal with `session_revoked`, or the failure. */
async function timeRefusal(guard: Guard, token: string, t0: number): Promise<number | string> {
  for (;;) {
    const reason = await refusalOf(guard, token)
    const elapsedMs = performance.now() - t0
    if (reason === 'session_revoked') return elapsedMs
    if (reason !== undefined) return `refused with ${reason}`
    if (elapsedMs > GIVE_UP_MS) return `still accepted after ${GIVE_UP_MS} ms`
    await sleep(POLL_MS)
  }
}

interface Measured {
  readonly latenciesMs: Map<Transport, number[]>
  /** The same refusals timed from the logout request's start: an upper bound on commit → refusal. */
  readonly sinceSentMs: Map<Transport, number[]>
  readonly failures: PropagationFailure[]
  readonly logoutMs: number[]
}

async function measure(setup: Setup, sessions: readonly Session[], firstIndex: number): Promise<Measured> {
  const transports = [...setup.guards.keys()]
  const latenciesMs = new Map<Transport, number[]>(transports.map((transport) => [transport, []]))
  const sinceSentMs = new Map<Transport, number[]>(transports.map((transport) => [transport, []]))
  const failures: PropagationFailure[] = []
  const logoutMs: number[] = []
  for (const [offset, session] of sessions.entries()) {
    const index = firstIndex + offset
    for (const [transport, guard] of setup.guards) {
      const reason = await refusalOf(guard, session.accessToken)
      if (reason !== undefined) throw new Error(`session ${index}: ${transport} guard refused with ${reason}`)
    }
    const sentAt = performance.now()
    const response = await fetch(`${setup.server.url}/v1/logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: session.refreshToken }),
    })
    const t0 = performance.now()
    if (response.status !== 204) throw new Error(`session ${index}: logout answered ${response.status}`)
    logoutMs.push(t0 - sentAt)
    const outcomes = await Promise.all(
      transports.map(async (transport) => {
        const guard = setup.guards.get(transport)
        return [
          transport,
          guard === undefined ? 'no guard' : await timeRefusal(guard, session.accessToken, t0),
        ] as const
      }),
    )
    for (const [transport, outcome] of outcomes) {
      if (typeof outcome === 'number') {
        latenciesMs.get(transport)?.push(outcome)
        sinceSentMs.get(transport)?.push(outcome + (t0 - sentAt))
      } else failures.push({ transport, session: index, outcome })
    }
    await sleep(randomInt(PAUSE_MS.min, PAUSE_MS.max + 1))
  }
  return { latenciesMs, sinceSentMs, failures, logoutMs }
}

async function runAll(): Promise<void> {
  const context = startRun()
  const count = sessionsFromArgs()
  const redisUrl = await requireRedis()
  if (redisUrl === undefined) {
    console.error(
      '\n!!! REDIS NOT REACHABLE: measuring the SSE feed only; the Redis target (p99 ≤ 100 ms) is NOT measured !!!\n',
    )
  }
  const setup = await start(redisUrl)
  try {
    await waitUntilLive(setup.guards)
    const signupStartedAt = performance.now()
    const sessions = await createSessions(setup.server.url, WARMUP_SESSIONS + count)
    const signupSeconds = (performance.now() - signupStartedAt) / 1000
    console.log(`${sessions.length} sessions signed up in ${signupSeconds.toFixed(1)} s`)
    // Still live after the sign-ups (the SSE feed pings every 5 s; a silent feed would refuse everything).
    await waitUntilLive(setup.guards)
    const warmup = await measure(setup, sessions.slice(0, WARMUP_SESSIONS), 0)
    const measured = await measure(setup, sessions.slice(WARMUP_SESSIONS), WARMUP_SESSIONS)
    const summaries = [...measured.latenciesMs].map(([transport, latencies]) =>
      summarizePropagation(transport, latencies, measured.failures, TARGET_P99_MS[transport]),
    )
    const logout = summarizePropagation('logout round trip', measured.logoutMs, [], undefined)
    console.log(`\n${formatPropagationTable(count, [...summaries, logout])}`)
    for (const failure of measured.failures) {
      console.log(`FAILED: ${failure.transport}, session ${failure.session}: ${failure.outcome}`)
    }
    if (redisUrl === undefined) console.error('!!! Redis was not reachable: SSE only (see above) !!!')
    writeBenchJson('revocation-propagation', context, {
      redis: redisUrl === undefined ? 'not reachable: SSE only' : 'measured',
      method: { sessions: count, warmupSessions: WARMUP_SESSIONS, pollMs: POLL_MS, pauseMs: PAUSE_MS },
      giveUpMs: GIVE_UP_MS,
      signupSeconds,
      transports: summaries,
      logoutRoundTrip: logout,
      sinceLogoutSent: [...measured.sinceSentMs].map(([transport, latencies]) =>
        summarizePropagation(transport, latencies, measured.failures, undefined),
      ),
      failures: measured.failures,
      warmup: [...warmup.latenciesMs].map(([transport, latencies]) =>
        summarizePropagation(transport, latencies, warmup.failures, TARGET_P99_MS[transport]),
      ),
    })
  } finally {
    await stop(setup)
  }
}

const definition: BenchDefinition = {
  name: 'Revocation propagation: logout answered → guard refuses the session, over Redis and over SSE',
  // runAll measures wall-clock latencies and prints its own table and JSON; the harness gets no suite to time.
  suites: async () => {
    await runAll()
    return []
  },
}

export default definition
