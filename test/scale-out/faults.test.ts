/**
 * Issue 4's fault drills on a two-server deployment: Redis stopped and restarted empty mid-run, PostgreSQL
 * cut off and restored, and one server killed with SIGKILL in the middle of a refresh storm.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import { type RedisProcess, startRedisProcess } from '../support/redis-process.ts'
import { type RoundRobinProxy, startRoundRobinProxy } from '../support/round-robin-proxy.ts'
import {
  type Cluster,
  type ClusterProcess,
  guardHealth,
  startCluster,
  waitUntil,
} from '../support/scale-out-cluster.ts'
import { requirePostgres, requireRedis } from '../support/services.ts'
import { bearer, call, PASSWORD, signUp } from '../support/test-server.ts'

const databaseUrl = await requirePostgres()
const redisUrl = await requireRedis()
const skip = databaseUrl === undefined || redisUrl === undefined ? 'PostgreSQL or Redis not reachable' : false
const MAX_SILENCE_SECONDS = 6

async function statusAt(guard: ClusterProcess, token: string): Promise<number> {
  return (await fetch(`${guard.url}/orders`, { headers: bearer(token) })).status
}

describe('fault: Redis stopped mid-run, then back empty', { skip }, () => {
  let redis: RedisProcess
  let cluster: Cluster
  let closedGuard: ClusterProcess
  let openGuard: ClusterProcess

  before(async () => {
    redis = await startRedisProcess()
    cluster = await startCluster({ databaseUrl: databaseUrl ?? '', redisUrl: redis.url })
    closedGuard = await cluster.startGuard({ failMode: 'closed', maxSilenceSeconds: MAX_SILENCE_SECONDS })
    openGuard = await cluster.startGuard({ failMode: 'open', maxSilenceSeconds: MAX_SILENCE_SECONDS })
    for (const guard of [closedGuard, openGuard]) {
      await waitUntil(async () => (await guardHealth(guard)).revocation.state === 'live', 10_000)
    }
  })
  after(async () => {
    await cluster?.close()
    await redis?.stop()
  })

  test('login and refresh keep working, guards follow their fail mode, and all is well within 5 s of its return', async () => {
    const [a, b] = cluster.servers as [ClusterProcess, ClusterProcess]
    const survivor = await signUp(a.url)
    const leaver = await signUp(b.url)
    await redis.stop()

    // The auth path does not depend on Redis: throttling falls back to each instance's own counters.
    const login = await call(b.url, '/v1/login', { body: { email: survivor.email, password: PASSWORD } })
    assert.equal(login.status, 200, login.text)
    const refreshed = await call(a.url, '/v1/refresh', { body: { refresh_token: survivor.refreshToken } })
    assert.equal(refreshed.status, 200, refreshed.text)
    const ready = await call(a.url, '/readyz')
    assert.equal(ready.status, 200)
    assert.deepEqual([ready.body.status, ready.body.redis], ['degraded', 'unavailable'])
    // A logout during the outage: committed to PostgreSQL, queued for the stream.
    assert.equal(
      (await call(a.url, '/v1/logout', { body: { refresh_token: leaver.refreshToken } })).status,
      204,
    )

    const accessToken = refreshed.body.access_token as string
    await waitUntil(async () => (await guardHealth(closedGuard)).revocation.state === 'stale-closed', 15_000)
    const refusal = await fetch(`${closedGuard.url}/orders`, { headers: bearer(accessToken) })
    assert.equal(refusal.status, 503, 'a closed guard cannot tell revoked from live, so it refuses')
    assert.ok(Number(refusal.headers.get('retry-after')) > 0)
    await waitUntil(async () => (await guardHealth(openGuard)).revocation.state === 'stale-open', 15_000)
    assert.equal(await statusAt(openGuard, accessToken), 200, 'an open guard accepts on what it last heard')

    await redis.start() // empty: whatever the stream held is gone
    const recovery = await waitUntil(async () => (await statusAt(closedGuard, accessToken)) === 200, 10_000)
    assert.ok(recovery < 5000, `the closed guard took ${Math.round(recovery)} ms to recover`)
    console.log(
      `Redis drill: the closed guard accepted again ${Math.round(recovery)} ms after Redis returned`,
    )
    // The logout made during the outage reaches both guards, although Redis came back empty: queued events
    // are appended, and the stream is re-seeded from the database.
    for (const guard of [closedGuard, openGuard]) {
      await waitUntil(async () => (await statusAt(guard, leaver.accessToken)) === 401, 5000)
    }
    assert.equal((await call(a.url, '/readyz')).body.redis, 'ok')
  })
})

describe('fault: PostgreSQL unreachable, then back', { skip }, () => {
  let proxy: RoundRobinProxy
  let cluster: Cluster

  before(async () => {
    const database = new URL(databaseUrl ?? '')
    proxy = await startRoundRobinProxy([`postgres://${database.host}`])
    const proxied = new URL(database.href)
    proxied.port = new URL(proxy.url).port
    proxied.hostname = '127.0.0.1'
    cluster = await startCluster({ databaseUrl: proxied.href, redisUrl: redisUrl ?? '' })
  })
  after(async () => {
    proxy?.setUpstreams([`postgres://${new URL(databaseUrl ?? '').host}`])
    await cluster?.close()
    await proxy?.close()
  })

  test('every store call answers 503 with Retry-After, never 500, and service resumes without a restart', async () => {
    const [a, b] = cluster.servers as [ClusterProcess, ClusterProcess]
    const user = await signUp(a.url)
    proxy.setUpstreams([])
    proxy.dropConnections()
    for (const server of [a, b]) {
      const ready = await call(server.url, '/readyz')
      assert.equal(ready.status, 503)
      for (const answer of [
        await call(server.url, '/v1/login', { body: { email: user.email, password: PASSWORD } }),
        await call(server.url, '/v1/refresh', { body: { refresh_token: user.refreshToken } }),
        await call(server.url, '/v1/signup', {
          body: { email: `x-${Date.now()}@example.test`, password: PASSWORD },
        }),
      ]) {
        assert.equal(answer.status, 503, answer.text)
        assert.ok(Number(answer.headers.get('retry-after')) > 0)
      }
    }
    proxy.setUpstreams([`postgres://${new URL(databaseUrl ?? '').host}`])
    await waitUntil(async () => (await call(b.url, '/readyz')).status === 200, 10_000)
    const refreshed = await call(b.url, '/v1/refresh', { body: { refresh_token: user.refreshToken } })
    assert.equal(refreshed.status, 200, 'the session made before the outage goes on')
  })
})

describe('fault: kill -9 of one server during a refresh storm', { skip }, () => {
  let cluster: Cluster

  before(async () => {
    cluster = await startCluster({ databaseUrl: databaseUrl ?? '', redisUrl: redisUrl ?? '' })
  })
  after(() => cluster?.close())

  test('no committed rotation is lost, no session is wrongly revoked, clients go on against the other server', async () => {
    const [a, b] = cluster.servers as [ClusterProcess, ClusterProcess]
    const sessions = await Promise.all(Array.from({ length: 12 }, () => signUp(b.url)))
    const statuses = new Map<number, number>()
    let rotations = 0
    let retries = 0
    let killed = false
    const stopAt = Date.now() + 4000

    // Each client refreshes in a loop, alternating servers; a request that fails in transit (the server
    // died) is retried with the same token on the other server, as a client that never saw an answer would.
    const client = async (first: (typeof sessions)[number], index: number): Promise<string> => {
      let token = first.refreshToken
      let turn = index
      while (Date.now() < stopAt) {
        const target = turn % 2 === 0 || killed ? b : a
        turn += 1
        let answer: Awaited<ReturnType<typeof call>>
        try {
          answer = await call(target.url, '/v1/refresh', { body: { refresh_token: token } })
        } catch {
          retries += 1
          answer = await call(b.url, '/v1/refresh', { body: { refresh_token: token } })
        }
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
        if (answer.status !== 200) throw new Error(`refresh answered ${answer.status}: ${answer.text}`)
        token = answer.body.refresh_token as string
        rotations += 1
      }
      return token
    }
    const storm = Promise.all(sessions.map(client))
    await delay(1500)
    killed = true
    a.child.kill('SIGKILL')
    cluster.detach(a)
    const finalTokens = await storm

    assert.deepEqual([...statuses.keys()], [200], `statuses ${JSON.stringify([...statuses])}`)
    assert.ok(rotations > 50, `only ${rotations} rotations`)
    // Every session is alive and its latest token is the one the store holds: one more refresh each.
    for (const token of finalTokens) {
      const last = await call(b.url, '/v1/refresh', { body: { refresh_token: token } })
      assert.equal(last.status, 200, last.text)
    }
    // The killed instance leaves nothing half-done behind for a new one either.
    const replacement = await cluster.startServer()
    const login = await call(replacement.url, '/v1/login', {
      body: { email: sessions[0]?.email, password: PASSWORD },
    })
    assert.equal(login.status, 200)
    console.log(`kill -9 drill: ${rotations} rotations, ${retries} retried after the kill`)
  })
})
