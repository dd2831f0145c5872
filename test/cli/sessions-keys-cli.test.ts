import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { newId } from '../../packages/server/src/domain/ids.ts'
import { type CliRun, runCli } from '../support/run-cli.ts'
import { bearer, call, PASSWORD, signUp, startTestServer, type TestServer } from '../support/test-server.ts'

interface SessionRow {
  id: string
  client_id: string
  last_used_at: number
  user_agent: string | null
  dpop_bound: boolean
}
interface KeyRow {
  kid: string
  state: string
}
interface EventRow {
  type: string
  session_id: string | null
  details: Record<string, unknown>
}

/**
 * `tessera sessions list|revoke` and `tessera keys retire`, run as the real CLI on the data dir of a running
 * in-process server. The server's clock starts an hour in the past, so the keys it created at startup have
 * been published for longer than the JWKS cache time by the CLI's (real) clock.
 */
describe('tessera sessions and tessera keys retire beside a running server', () => {
  let t: TestServer

  before(async () => {
    t = await startTestServer({ startAt: Math.floor(Date.now() / 1000) - 3600 })
  })
  after(async () => {
    await t.close()
  })

  function run(argv: string[]): Promise<CliRun> {
    return runCli(argv, { dataDir: t.dataDir })
  }
  function json<T>(result: CliRun): T {
    assert.equal(result.code, 0, result.stderr + result.stdout)
    return JSON.parse(result.stdout) as T
  }
  async function logIn(
    email: string,
    userAgent = 'test-agent',
  ): Promise<{ sessionId: string; refresh: string }> {
    const response = await call(t.url, '/v1/login', {
      body: { email, password: PASSWORD },
      headers: { 'user-agent': userAgent },
    })
    assert.equal(response.status, 200, response.text)
    return { sessionId: String(response.body.session_id), refresh: String(response.body.refresh_token) }
  }
  function refresh(token: string): ReturnType<typeof call> {
    return call(t.url, '/v1/refresh', { body: { refresh_token: token } })
  }
  async function events(type: string, userId: string): Promise<EventRow[]> {
    return json<{ events: EventRow[] }>(await run(['events', '--type', type, '--user', userId, '--json']))
      .events
  }
  async function keys(): Promise<KeyRow[]> {
    return json<{ keys: KeyRow[] }>(await run(['keys', 'list', '--json'])).keys
  }
  function kidIn(rows: readonly KeyRow[], state: string): string {
    const kid = rows.find((k) => k.state === state)?.kid
    assert.ok(kid, `a ${state} key`)
    return kid
  }
  async function servedKids(): Promise<string[]> {
    const jwks = await call(t.url, '/.well-known/jwks.json')
    return (jwks.body.keys as { kid: string }[]).map((k) => k.kid)
  }
  /** What the server's minute timer (or, with Redis, the keys_changed event) does: reload the ring. */
  async function serverReloadsRing(): Promise<void> {
    const behind = Math.floor(Date.now() / 1000) - t.clock.nowSeconds()
    if (behind > 0) t.clock.advance(behind)
    await t.server.services.ring.reload()
  }

  test('sessions list: the active sessions of a user by id or email, newest use first, DPoP-bound marked', async () => {
    const ada = await signUp(t.url)
    const other = await signUp(t.url)
    t.clock.advance(10)
    const second = await logIn(ada.email, 'Mozilla/5.0 test')
    t.clock.advance(10)
    // A DPoP-bound session whose user agent tries to rewrite the operator's terminal.
    const dpopSession = newId('ses')
    const now = t.clock.nowSeconds()
    await t.server.services.store.sessions.start(
      {
        id: dpopSession,
        userId: ada.userId,
        clientId: 'tessera',
        createdAt: now,
        expiresAt: now + 86_400,
        ip: '192.0.2.7',
        userAgent: 'evil\u001b[2Jagent\u009b',
        dpopJkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
      },
      { id: newId('rt'), tokenHash: 'ab'.repeat(32), expiresAt: now + 86_400 },
    )

    const listed = json<{ user_id: string; sessions: SessionRow[] }>(
      await run(['sessions', 'list', '--user', ada.userId, '--json']),
    )
    assert.equal(listed.user_id, ada.userId)
    assert.deepEqual(
      listed.sessions.map((s) => s.id),
      [dpopSession, second.sessionId, ada.sessionId],
    )
    assert.deepEqual(
      listed.sessions.map((s) => s.dpop_bound),
      [true, false, false],
    )
    assert.equal(listed.sessions[1]?.user_agent, 'Mozilla/5.0 test')
    assert.equal(listed.sessions[2]?.client_id, 'tessera')
    assert.equal(
      listed.sessions.some((s) => s.id === other.sessionId),
      false,
    )

    const human = await run(['sessions', 'list', '--user', ada.email.toUpperCase()])
    assert.equal(human.code, 0, human.stderr)
    assert.match(human.stdout, new RegExp(`^3 active sessions of ${ada.userId}`))
    assert.match(human.stdout, new RegExp(`${dpopSession}  tessera  last used .*192\\.0\\.2\\.7  DPoP  `))
    assert.match(human.stdout, /evil\\u001b\[2Jagent\\u009b/)
    const raw = ['\u001b', '\u009b'].filter((char) => human.stdout.includes(char))
    assert.deepEqual(raw, [], 'no control character reaches the terminal')
  })

  test('sessions list and revoke: an unknown user or session exits 1', async () => {
    const byEmail = await run(['sessions', 'list', '--user', 'nobody@example.test', '--json'])
    assert.equal(byEmail.code, 1)
    assert.deepEqual(JSON.parse(byEmail.stdout), { error: 'not_found', field: 'user' })
    const byId = await run(['sessions', 'revoke', '--user', newId('usr')])
    assert.equal(byId.code, 1)
    assert.match(byId.stdout, /no account has that user id or email/)
    const session = await run(['sessions', 'revoke', '--id', newId('ses'), '--json'])
    assert.equal(session.code, 1)
    assert.deepEqual(JSON.parse(session.stdout), { error: 'not_found', field: 'id' })
  })

  test('sessions: usage errors exit 2; --help exits 0', async () => {
    const usage = [
      ['sessions'],
      ['sessions', 'kill'],
      ['sessions', 'list'],
      ['sessions', 'list', '--user', 'not an email'],
      ['sessions', 'list', '--user', 'a@example.test', '--id', newId('ses')],
      ['sessions', 'list', '--user', 'a@example.test', '--all'],
      ['sessions', 'revoke'],
      ['sessions', 'revoke', '--id', 'ses_short'],
      ['sessions', 'revoke', '--id', newId('ses'), '--user', 'a@example.test'],
      ['sessions', 'revoke', '--id', newId('ses'), 'extra'],
    ]
    for (const argv of usage) assert.equal((await run(argv)).code, 2, argv.join(' '))
    const help = await run(['sessions', '--help'])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /tessera sessions revoke --id SESSION_ID/)
  })

  test('sessions revoke --id ends one session: its refresh answers session_revoked; again is a no-op', async () => {
    const ada = await signUp(t.url)
    const second = await logIn(ada.email)
    const revoked = json<{ user_id: string; sessions_revoked: string[]; already_revoked: boolean }>(
      await run(['sessions', 'revoke', '--id', ada.sessionId, '--json']),
    )
    assert.deepEqual(revoked, {
      user_id: ada.userId,
      sessions_revoked: [ada.sessionId],
      already_revoked: false,
    })

    const refused = await refresh(ada.refreshToken)
    assert.equal(refused.status, 401)
    assert.equal(refused.body.reason, 'session_revoked')
    const me = await call(t.url, '/v1/me', { headers: bearer(ada.accessToken) })
    assert.equal(me.body.reason, 'session_revoked')
    assert.equal((await refresh(second.refresh)).status, 200, 'the other session lives on')

    const again = await run(['sessions', 'revoke', '--id', ada.sessionId])
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stdout, /already revoked; nothing changed/)

    const recorded = await events('session_revoked', ada.userId)
    assert.equal(recorded.length, 1, 'the repeat recorded nothing')
    assert.equal(recorded[0]?.session_id, ada.sessionId)
    assert.deepEqual(recorded[0]?.details, { cause: 'admin', actor: 'cli' })
  })

  test('sessions revoke --user ends every session and moves the not-before', async () => {
    const ada = await signUp(t.url)
    const second = await logIn(ada.email)
    const bystander = await signUp(t.url)
    const revoked = json<{ user_id: string; sessions_revoked: string[]; not_before: number }>(
      await run(['sessions', 'revoke', '--user', ada.email, '--json']),
    )
    assert.equal(revoked.user_id, ada.userId)
    assert.deepEqual([...revoked.sessions_revoked].sort(), [ada.sessionId, second.sessionId].sort())
    assert.ok(Number.isSafeInteger(revoked.not_before))
    const user = await t.server.services.store.users.findById(ada.userId)
    assert.equal(user?.notBeforeAt, revoked.not_before)

    for (const token of [ada.refreshToken, second.refresh]) {
      const refused = await refresh(token)
      assert.equal(refused.status, 401)
      assert.equal(refused.body.reason, 'session_revoked')
    }
    assert.equal((await refresh(bystander.refreshToken)).status, 200)
    const left = json<{ sessions: SessionRow[] }>(
      await run(['sessions', 'list', '--user', ada.userId, '--json']),
    )
    assert.deepEqual(left.sessions, [])

    const recorded = await events('session_revoked', ada.userId)
    assert.deepEqual(
      recorded.map((e) => e.details),
      [{ cause: 'admin', sessions: 2, actor: 'cli' }],
    )
  })

  test('keys retire of the current key promotes next; refused while the new next is too young', async () => {
    const before = await keys()
    const current = kidIn(before, 'current')
    const next = kidIn(before, 'next')

    const retired = json<{
      kid: string
      state: string
      current: string
      next: string
      published_until: string
    }>(await run(['keys', 'retire', '--kid', current, '--json']))
    assert.equal(retired.kid, current)
    assert.equal(retired.state, 'retired')
    assert.equal(retired.current, next, 'the published next key signs now')
    assert.ok(Date.parse(retired.published_until) > Date.now(), 'its tokens keep verifying')
    const after = await keys()
    assert.equal(kidIn(after, 'current'), next)
    assert.equal(after.find((k) => k.kid === current)?.state, 'retired')
    const newNext = kidIn(after, 'next')

    // The next key now was published a moment ago: guards caching the JWKS may not have it yet.
    const refused = await run(['keys', 'retire', '--kid', next, '--json'])
    assert.equal(refused.code, 1)
    assert.equal((JSON.parse(refused.stdout) as { error: string }).error, 'too_soon')
    assert.match(refused.stderr, /current key.*JWKS cache time.*--force/)
    assert.deepEqual(await keys(), after, 'nothing changed')

    const forced = json<{ current: string }>(
      await run(['keys', 'retire', '--kid', next, '--force', '--json']),
    )
    assert.equal(forced.current, newNext)

    await serverReloadsRing()
    const served = await servedKids()
    assert.ok(
      served.includes(current) && served.includes(next),
      'retired keys stay published for their tokens',
    )
    assert.equal(t.server.services.ring.signingKey.kid, newNext)
  })

  test('keys retire of a retired key needs --force, then removes it from the served JWKS', async () => {
    const ada = await signUp(t.url)
    const signer = t.server.services.ring.signingKey.kid
    const rotated = await run(['keys', 'retire', '--kid', signer, '--force'])
    assert.equal(rotated.code, 0, rotated.stderr)
    assert.match(rotated.stdout, new RegExp(`keys retire --kid ${signer} --force`), 'the way out is shown')

    const refused = await run(['keys', 'retire', '--kid', signer])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /already retired.*--force.*unknown_key/)
    await serverReloadsRing()
    assert.ok((await servedKids()).includes(signer))
    assert.equal((await call(t.url, '/v1/me', { headers: bearer(ada.accessToken) })).status, 200)

    const removed = await run(['keys', 'retire', '--kid', signer, '--force'])
    assert.equal(removed.code, 0, removed.stderr)
    assert.match(removed.stdout, /unknown_key/)
    await serverReloadsRing()
    assert.equal((await servedKids()).includes(signer), false)
    const me = await call(t.url, '/v1/me', { headers: bearer(ada.accessToken) })
    assert.equal(me.status, 401)
    assert.equal(me.body.reason, 'unknown_key')

    const again = json<{ changed: boolean }>(
      await run(['keys', 'retire', '--kid', signer, '--force', '--json']),
    )
    assert.equal(again.changed, false)
    const recorded = await run(['events', '--type', 'key_retired', '--json'])
    const details = json<{ events: EventRow[] }>(recorded).events.map((e) => e.details)
    // Both may fall in one second, whose events list in random order: compare as a set.
    const ofSigner = details.filter((d) => d.kid === signer).map((d) => JSON.stringify(d))
    assert.deepEqual(ofSigner.sort(), [
      JSON.stringify({ kid: signer, actor: 'cli' }),
      JSON.stringify({ kid: signer, withdrawn: true, actor: 'cli' }),
    ])
  })

  test('keys retire of the next key replaces it at once; unknown kids exit 1, a missing --kid 2', async () => {
    const before = await keys()
    const next = kidIn(before, 'next')
    const result = json<{ kid: string; next: string }>(await run(['keys', 'retire', '--kid', next, '--json']))
    assert.equal(result.kid, next)
    assert.notEqual(result.next, next)
    const after = await keys()
    assert.equal(kidIn(after, 'next'), result.next)
    assert.equal(kidIn(after, 'current'), kidIn(before, 'current'), 'the signer is untouched')
    await serverReloadsRing()
    const served = await servedKids()
    assert.equal(served.includes(next), false)
    assert.ok(served.includes(result.next))

    const unknown = await run(['keys', 'retire', '--kid', newId('key'), '--json'])
    assert.equal(unknown.code, 1)
    assert.deepEqual(JSON.parse(unknown.stdout), { error: 'not_found', field: 'kid' })
    assert.equal((await run(['keys', 'retire'])).code, 2)
    assert.equal((await run(['keys', 'rotate', '--kid', next])).code, 2)
    assert.match((await run(['keys', '--help'])).stdout, /keys retire --kid KID \[--force\]/)
  })
})
