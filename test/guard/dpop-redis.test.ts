import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { after, before, describe, test } from 'node:test'
import {
  createManualClock,
  exportPublicJwk,
  generateSigningKey,
  type ManualClock,
  signAccessToken,
} from '@tessera/core'
import { createGuard, type Guard, GuardError } from '@tessera/guard'
import { createRedisConnection } from '@tessera/redis'
import type { Redis } from 'ioredis'
import { openRedisTestScope, type RedisTestScope } from '../../packages/redis/src/redis-test-scope.ts'
import { requireRedis } from '../support/services.ts'
import { createDpopClient, dpopChallengeFor, dpopHeaders } from './dpop-fixtures.ts'
import { AUDIENCE, send, tokenClaims } from './guard-fixtures.ts'

const issuer = 'http://localhost:8080'
const publicOrigin = 'https://api.example.com'
const redisUrl = await requireRedis()

async function listen(guard: Guard): Promise<{ server: Server; url: string }> {
  const server = createServer(guard.node((_request, response) => response.end('ok')))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
}

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  const outcome = await promise.then(
    () => 'accepted',
    (error: unknown) => error,
  )
  if (outcome === 'accepted') return outcome
  assert.ok(outcome instanceof GuardError)
  return outcome.reason
}

/** One raw HTTP/1.0 request without a `Host` header (node's client always sends one); resolves the status line. */
async function sendWithoutHost(url: string, lines: readonly string[]): Promise<string> {
  const { port } = new URL(url)
  const socket = connect(Number(port), '127.0.0.1')
  await once(socket, 'connect')
  socket.end(`GET /orders HTTP/1.0\r\n${lines.map((line) => `${line}\r\n`).join('')}\r\n`)
  let text = ''
  for await (const chunk of socket) text += String(chunk)
  return text
}

describe('guard DPoP: publicOrigin, the request origin, verifyToken', () => {
  const key = generateSigningKey('EdDSA', 'k-ed')
  const client = createDpopClient()
  const clock: ManualClock = createManualClock(Math.floor(Date.now() / 1000))
  const jwks = { keys: [exportPublicJwk(key)] }
  const mint = (): string =>
    signAccessToken(tokenClaims(issuer, clock.nowSeconds(), { cnf: { jkt: client.jkt } }), key)
  const proofFor = (token: string, url: string, method = 'GET'): string =>
    client.proof({ method, url, accessToken: token, nowSeconds: clock.nowSeconds() })

  test('with publicOrigin the proof must name it, not the address the request reached', async () => {
    const guard = createGuard({ issuer, audience: AUDIENCE, clock, jwks, publicOrigin: `${publicOrigin}/` })
    const { server, url } = await listen(guard)
    try {
      const token = mint()
      const wrong = await send(url, '/orders', {
        headers: dpopHeaders(token, proofFor(token, `${url}/orders`)),
      })
      assert.equal(wrong.status, 401)
      assert.equal(wrong.headers['www-authenticate'], dpopChallengeFor())
      const right = await send(url, '/orders?x=1', {
        headers: dpopHeaders(token, proofFor(token, `${publicOrigin}/orders`)),
      })
      assert.equal(right.status, 200)
    } finally {
      await closeServer(server)
      await guard.close()
    }
  })

  test('without publicOrigin and without a Host header, a DPoP request is dpop_invalid', async () => {
    const guard = createGuard({ issuer, audience: AUDIENCE, clock, jwks })
    const { server, url } = await listen(guard)
    try {
      const token = mint()
      const answer = await sendWithoutHost(url, [
        `Authorization: DPoP ${token}`,
        `DPoP: ${proofFor(token, `${url}/orders`)}`,
      ])
      assert.match(answer, /^HTTP\/1\.1 401 /)
      assert.match(answer, /"reason":"dpop_invalid"/)
      assert.match(answer, /error="invalid_dpop_proof"/)
    } finally {
      await closeServer(server)
      await guard.close()
    }
  })

  test('verifyToken takes a dpop proof, method and url; without them a bound token is dpop_invalid', async () => {
    const guard = createGuard({ issuer, audience: AUDIENCE, clock, jwks })
    try {
      const token = mint()
      const url = `${publicOrigin}/orders`
      assert.equal(await reasonOf(guard.verifyToken(token)), 'dpop_invalid')
      const proof = proofFor(token, url)
      const dpop = { proof, method: 'GET', url }
      assert.equal(await reasonOf(guard.verifyToken(token, { dpop })), 'accepted')
      const replayed = await guard.verifyToken(token, { dpop }).catch((error: unknown) => error)
      assert.ok(replayed instanceof GuardError)
      assert.equal(replayed.reason, 'dpop_invalid')
      assert.equal(guard.rejection(replayed).headers['www-authenticate'], dpopChallengeFor())
      const dpopForPost = { proof: proofFor(token, url, 'POST'), method: 'GET', url }
      assert.equal(await reasonOf(guard.verifyToken(token, { dpop: dpopForPost })), 'dpop_invalid')
    } finally {
      await guard.close()
    }
  })

  test('publicOrigin must be an http(s) origin without path', () => {
    for (const bad of [
      'api.example.com',
      'ftp://api.example.com',
      'https://api.example.com/v1',
      'https://a@b.c',
    ]) {
      assert.throws(
        () => createGuard({ issuer, audience: AUDIENCE, jwks, publicOrigin: bad }),
        TypeError,
        bad,
      )
    }
  })
})

describe('guard DPoP replay register on Redis', {
  skip: redisUrl === undefined ? 'Redis not reachable' : false,
}, () => {
  const key = generateSigningKey('EdDSA', 'k-ed')
  const client = createDpopClient()
  const clock = createManualClock(Math.floor(Date.now() / 1000))
  let redis: Redis
  let scope: RedisTestScope
  let guards: Guard[] = []
  let servers: { server: Server; url: string }[] = []

  before(async () => {
    redis = createRedisConnection(redisUrl ?? '', { name: 'guard-dpop-test' })
    scope = openRedisTestScope(redis)
    const options = {
      issuer,
      audience: AUDIENCE,
      clock,
      jwks: { keys: [exportPublicJwk(key)] },
      publicOrigin,
      redis: { url: redisUrl ?? '', keyPrefix: scope.keyPrefix },
      // No auth server seeds this prefix's event stream; revocation is not what this suite is about.
      revocation: { failMode: 'open' as const },
    }
    guards = [createGuard(options), createGuard(options)]
    servers = await Promise.all(guards.map(listen))
  })
  after(async () => {
    await Promise.all(servers.map(({ server }) => closeServer(server)))
    await Promise.all(guards.map((guard) => guard.close()))
    await scope.dropKeys()
    redis.disconnect()
  })

  test('a proof accepted by one guard is refused as a replay by another sharing the Redis prefix', async () => {
    const [first, second] = servers
    assert.ok(first !== undefined && second !== undefined)
    const token = signAccessToken(tokenClaims(issuer, clock.nowSeconds(), { cnf: { jkt: client.jkt } }), key)
    const proof = client.proof({
      method: 'GET',
      url: `${publicOrigin}/orders`,
      accessToken: token,
      nowSeconds: clock.nowSeconds(),
    })
    const accepted = await send(first.url, '/orders', { headers: dpopHeaders(token, proof) })
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body))
    const replayed = await send(second.url, '/orders', { headers: dpopHeaders(token, proof) })
    assert.equal(replayed.status, 401, JSON.stringify(replayed.body))
    assert.equal(replayed.body.reason, 'dpop_invalid')
    assert.equal(replayed.headers['www-authenticate'], dpopChallengeFor())
    // The register lives under the deployment's prefix, and a fresh proof still passes on the second guard.
    assert.equal((await scope.listKeys()).length, 1)
    const fresh = client.proof({
      method: 'GET',
      url: `${publicOrigin}/orders`,
      accessToken: token,
      nowSeconds: clock.nowSeconds(),
    })
    assert.equal((await send(second.url, '/orders', { headers: dpopHeaders(token, fresh) })).status, 200)
  })
})
