/**
 * A guard created with `redis` next to an auth server on the same Redis: revocations arrive on the event
 * stream, `max_uses` is counted on the server's own counters, and a key-ring change makes the guard
 * refetch the JWKS. In process, with the real clock (Redis keeps its own time).
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { systemClock } from '@tessera/core'
import { createGuard, type Guard, type GuardError } from '@tessera/guard'
import { createRedisConnection } from '@tessera/redis'
import type { Redis } from 'ioredis'
import { openRedisTestScope, type RedisTestScope } from '../../packages/redis/src/redis-test-scope.ts'
import { waitUntil } from '../support/scale-out-cluster.ts'
import { createTestClient, type TestClient } from '../support/service-clients.ts'
import { requireRedis } from '../support/services.ts'
import { call, signUp, startTestServer, type TestServer } from '../support/test-server.ts'

const redisUrl = await requireRedis()

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'accepted'
  } catch (error) {
    return (error as GuardError).reason
  }
}

describe('a guard on Redis beside an auth server on Redis', {
  skip: redisUrl === undefined ? 'Redis not reachable' : false,
}, () => {
  let admin: Redis
  let scope: RedisTestScope
  let t: TestServer
  let guard: Guard
  let minter: TestClient
  let counter: TestClient

  before(async () => {
    admin = createRedisConnection(redisUrl ?? '', { name: 'guard-on-redis-test' })
    scope = openRedisTestScope(admin)
    t = await startTestServer({
      realIssuer: true,
      clock: systemClock,
      env: {
        TESSERA_REDIS_URL: redisUrl ?? '',
        TESSERA_REDIS_KEY_PREFIX: scope.keyPrefix,
        TESSERA_ACCESS_TOKEN_AUDIENCES: 'orders-api',
      },
    })
    guard = createGuard({
      issuer: t.url,
      audience: 'orders-api',
      redis: { url: redisUrl ?? '', keyPrefix: scope.keyPrefix },
    })
    minter = await createTestClient(t, 'tokens:mint orders:read')
    counter = await createTestClient(t, 'tokens:consume')
    await waitUntil(async () => guard.health().revocation.state === 'live', 10_000)
  })
  after(async () => {
    await guard?.close()
    await t?.close()
    await scope?.dropKeys()
    admin?.disconnect()
  })

  test('a logout reaches the guard through the stream, with no client configured', async () => {
    const user = await signUp(t.url)
    assert.equal((await guard.verifyToken(user.accessToken)).sid, user.sessionId)
    const logout = await call(t.url, '/v1/logout', { body: { refresh_token: user.refreshToken } })
    assert.equal(logout.status, 204)
    const ms = await waitUntil(
      async () => (await reasonOf(guard.verifyToken(user.accessToken))) === 'session_revoked',
      2000,
    )
    assert.ok(ms < 1000, `${Math.round(ms)} ms`)
  })

  test('max_uses is counted on the server’s own Redis counters', async () => {
    const minted = await call(t.url, '/v1/tokens', {
      body: { tokens: [{ sub: 'job-1', aud: 'orders-api', scope: 'orders:read', max_uses: 3 }] },
      headers: minter.headers,
    })
    assert.equal(minted.status, 200, minted.text)
    const token = (minted.body.tokens as { access_token: string }[])[0]?.access_token ?? ''
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      jti: string
      exp: number
    }
    // One use through the auth server's endpoint (a guard with a client), two through this guard.
    const viaServer = await call(t.url, '/v1/token-uses', {
      body: { iss: t.url, jti: claims.jti, exp: claims.exp, max_uses: 3 },
      headers: counter.headers,
    })
    assert.deepEqual(viaServer.body, { allowed: true, remaining: 2 })
    assert.equal(await reasonOf(guard.verifyToken(token)), 'accepted')
    assert.equal(await reasonOf(guard.verifyToken(token)), 'accepted')
    assert.equal(await reasonOf(guard.verifyToken(token)), 'uses_exhausted')
  })

  test('a key rotation makes the guard fetch the new next key at once', async () => {
    const before = guard.health().keys.kids
    const { next } = await t.server.services.ring.rotate({ force: true })
    assert.ok(next !== undefined && !before.includes(next))
    await waitUntil(async () => guard.health().keys.kids.includes(next), 5000)
  })
})
