/**
 * Issue 4's proof of "several instances acting as one": two `tessera serve` processes and two guard
 * processes on loopback, sharing one PostgreSQL schema and one Redis key prefix, the servers behind a
 * round-robin load balancer whose URL is the issuer.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { runCli } from '../support/run-cli.ts'
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
/** The JWKS cache time of this deployment: short, so a rotation may follow its next key within the test. */
const JWKS_CACHE_SECONDS = 2

function kidOf(token: string): string {
  const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as {
    kid: string
  }
  return header.kid
}

async function statusAt(guard: ClusterProcess, token: string): Promise<number> {
  return (await fetch(`${guard.url}/orders`, { headers: bearer(token) })).status
}

describe('scale-out: two servers and two guards on one PostgreSQL and one Redis', {
  skip: databaseUrl === undefined || redisUrl === undefined ? 'PostgreSQL or Redis not reachable' : false,
}, () => {
  let cluster: Cluster
  let a: ClusterProcess
  let b: ClusterProcess
  let guards: ClusterProcess[]

  before(async () => {
    cluster = await startCluster({
      databaseUrl: databaseUrl ?? '',
      redisUrl: redisUrl ?? '',
      env: {
        TESSERA_THROTTLE_LOGIN_PER_ACCOUNT_LIMIT: '6',
        TESSERA_KEYS_JWKS_CACHE_SECONDS: String(JWKS_CACHE_SECONDS),
      },
    })
    ;[a, b] = cluster.servers as [ClusterProcess, ClusterProcess]
    guards = [await cluster.startGuard(), await cluster.startGuard()]
    for (const guard of guards) {
      await waitUntil(async () => (await guardHealth(guard)).revocation.state === 'live', 10_000)
    }
  })
  after(() => cluster?.close())

  test('50 concurrent refreshes of one token across both servers: one successor, and the session lives', async () => {
    const user = await signUp(a.url)
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call(i % 2 === 0 ? a.url : b.url, '/v1/refresh', { body: { refresh_token: user.refreshToken } }),
      ),
    )
    assert.deepEqual(
      [...new Set(answers.map((answer) => answer.status))],
      [200],
      answers.map((x) => x.text).join('\n'),
    )
    const successors = new Set(answers.map((answer) => answer.body.refresh_token))
    assert.equal(successors.size, 1, 'every racer got the one successor (grace window)')
    const [successor] = [...successors] as [string]
    const next = await call(b.url, '/v1/refresh', { body: { refresh_token: successor } })
    assert.equal(next.status, 200, 'no reuse detection, no logout')
    const accessToken = next.body.access_token as string
    for (const guard of guards) assert.equal(await statusAt(guard, accessToken), 200)
  })

  test('logout on server A: both guards reject the session within 1 s', async () => {
    const user = await signUp(b.url)
    for (const guard of guards) assert.equal(await statusAt(guard, user.accessToken), 200)
    const logout = await call(a.url, '/v1/logout', { body: { refresh_token: user.refreshToken } })
    assert.equal(logout.status, 204)
    const delays = await Promise.all(
      guards.map((guard) => waitUntil(async () => (await statusAt(guard, user.accessToken)) === 401, 3000)),
    )
    for (const ms of delays) assert.ok(ms < 1000, `a guard took ${Math.round(ms)} ms`)
    const refused = await fetch(`${guards[0]?.url}/orders`, { headers: bearer(user.accessToken) })
    assert.match(refused.headers.get('www-authenticate') ?? '', /session_revoked|invalid_token/)
    assert.equal(((await refused.json()) as { reason: string }).reason, 'session_revoked')
  })

  test('throttling is shared: failed logins spread over both servers count as one budget', async () => {
    const user = await signUp(a.url)
    for (let i = 0; i < 6; i += 1) {
      const wrong = await call(i % 2 === 0 ? a.url : b.url, '/v1/login', {
        body: { email: user.email, password: 'not the password at all' },
      })
      assert.equal(wrong.status, 401, `attempt ${i + 1}`)
    }
    for (const server of [a, b]) {
      const blocked = await call(server.url, '/v1/login', { body: { email: user.email, password: PASSWORD } })
      assert.equal(blocked.status, 429, 'the seventh attempt is refused on either server')
      assert.ok(Number(blocked.headers.get('retry-after')) > 0)
    }
  })

  test('a key rotated on A is used by B only once both guards can verify it', async () => {
    const listKeys = async () => {
      const listed = await runCli(['keys', 'list', '--json'], {
        dataDir: cluster.env.TESSERA_DATA_DIR ?? '',
        env: { ...cluster.env },
      })
      assert.equal(listed.code, 0, listed.stderr)
      return (JSON.parse(listed.stdout) as { keys: { kid: string; state: string }[] }).keys
    }
    const before = await listKeys()
    const next = before.find((key) => key.state === 'next')?.kid ?? ''
    const current = before.find((key) => key.state === 'current')?.kid ?? ''
    assert.equal(kidOf((await signUp(b.url)).accessToken), current)
    for (const guard of guards) assert.ok((await guardHealth(guard)).keys.kids.includes(next))

    // The next key must have been published for the JWKS cache time before it may sign.
    await new Promise((resolve) => setTimeout(resolve, JWKS_CACHE_SECONDS * 1000))
    const rotated = await runCli(['keys', 'rotate', '--json'], {
      dataDir: cluster.env.TESSERA_DATA_DIR ?? '',
      env: { ...cluster.env },
    })
    assert.equal(rotated.code, 0, rotated.stderr)
    const newNext = (JSON.parse(rotated.stdout) as { next: string }).next

    // B hears of the rotation on the Redis stream and reloads; from then on it signs with the new key.
    let token = ''
    await waitUntil(async () => {
      token = (await signUp(b.url)).accessToken
      return kidOf(token) === next
    }, 3000)
    for (const guard of guards) assert.equal(await statusAt(guard, token), 200, 'the guards verify it')
    // And the guards fetch the freshly published next key on the same notice, long before it may sign.
    for (const guard of guards) {
      await waitUntil(async () => (await guardHealth(guard)).keys.kids.includes(newNext), 5000)
    }
  })
})
