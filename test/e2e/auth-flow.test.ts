import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  bearer,
  call,
  PASSWORD,
  signUp,
  startTestServer,
  type TestServer,
  uniqueEmail,
} from '../support/test-server.ts'

describe('password accounts, sessions and refresh rotation over real HTTP (SQLite file)', () => {
  let t: TestServer
  before(async () => {
    t = await startTestServer()
  })
  after(async () => {
    await t.close()
  })

  test('signup → login → me → refresh', async () => {
    const email = uniqueEmail('flow')
    const signup = await call(t.url, '/v1/signup', { body: { email, password: PASSWORD, name: 'Ada' } })
    assert.equal(signup.status, 201)
    assert.equal(signup.body.token_type, 'Bearer')
    assert.equal(typeof signup.body.refresh_token, 'string')
    assert.match(signup.body.refresh_token as string, /^tsr_[A-Za-z0-9_-]{64}$/)
    assert.equal(signup.headers.get('cache-control'), 'no-store')

    const login = await call(t.url, '/v1/login', { body: { email: email.toUpperCase(), password: PASSWORD } })
    assert.equal(login.status, 200)
    assert.notEqual(login.body.session_id, signup.body.session_id, 'each login is its own session')
    const expiresIn = login.body.expires_in as number
    assert.ok(
      expiresIn <= 900 && expiresIn >= 855,
      `expires_in ${expiresIn} is the TTL minus at most 5% jitter`,
    )

    const me = await call(t.url, '/v1/me', { headers: bearer(login.body.access_token as string) })
    assert.equal(me.status, 200)
    assert.deepEqual((me.body.user as Record<string, unknown>).email, email)
    assert.equal((me.body.session as Record<string, unknown>).id, login.body.session_id)

    const refreshed = await call(t.url, '/v1/refresh', { body: { refresh_token: login.body.refresh_token } })
    assert.equal(refreshed.status, 200)
    assert.notEqual(refreshed.body.refresh_token, login.body.refresh_token)
    assert.equal(refreshed.body.session_id, login.body.session_id)
    const meAgain = await call(t.url, '/v1/me', { headers: bearer(refreshed.body.access_token as string) })
    assert.equal(meAgain.status, 200)
  })

  test('the old refresh token within the grace window yields the same successor; after it the session dies', async () => {
    const user = await signUp(t.url)
    const first = await call(t.url, '/v1/refresh', { body: { refresh_token: user.refreshToken } })
    assert.equal(first.status, 200)
    t.clock.advance(5)
    const replay = await call(t.url, '/v1/refresh', { body: { refresh_token: user.refreshToken } })
    assert.equal(replay.status, 200)
    assert.equal(replay.body.refresh_token, first.body.refresh_token, 'same successor, not a fork')

    t.clock.advance(6) // 11 s after rotation: past the 10 s grace window
    const reused = await call(t.url, '/v1/refresh', { body: { refresh_token: user.refreshToken } })
    assert.equal(reused.status, 401)
    assert.equal(reused.body.reason, 'refresh_token_reused')
    assert.equal(reused.body.error, 'invalid_grant')

    const newest = await call(t.url, '/v1/refresh', { body: { refresh_token: first.body.refresh_token } })
    assert.equal(newest.status, 401)
    assert.equal(newest.body.reason, 'session_revoked', 'the newest token of the family died too')
    const me = await call(t.url, '/v1/me', { headers: bearer(first.body.access_token as string) })
    assert.equal(me.status, 401)
    assert.equal(me.body.reason, 'session_revoked')
    assert.match(
      me.headers.get('www-authenticate') ?? '',
      /error="invalid_token", error_description="session_revoked"/,
    )
  })

  test('logout ends the session: its refresh token fails afterwards', async () => {
    const user = await signUp(t.url)
    const logout = await call(t.url, '/v1/logout', { body: { refresh_token: user.refreshToken } })
    assert.equal(logout.status, 204)
    const refresh = await call(t.url, '/v1/refresh', { body: { refresh_token: user.refreshToken } })
    assert.equal(refresh.status, 401)
    assert.equal(refresh.body.reason, 'session_revoked')
    const again = await call(t.url, '/v1/logout', { body: { refresh_token: user.refreshToken } })
    assert.equal(again.status, 204, 'logging out twice is still a logout')
  })

  test('logout with the access token ends the session too', async () => {
    const user = await signUp(t.url)
    const logout = await call(t.url, '/v1/logout', { method: 'POST', headers: bearer(user.accessToken) })
    assert.equal(logout.status, 204)
    const me = await call(t.url, '/v1/me', { headers: bearer(user.accessToken) })
    assert.equal(me.body.reason, 'session_revoked')
  })

  test('sessions list, revoke one, revoke all keeping the current one', async () => {
    const user = await signUp(t.url)
    const second = await call(t.url, '/v1/login', { body: { email: user.email, password: PASSWORD } })
    const third = await call(t.url, '/v1/login', { body: { email: user.email, password: PASSWORD } })
    const list = await call(t.url, '/v1/sessions', { headers: bearer(user.accessToken) })
    assert.equal(list.status, 200)
    const sessions = list.body.sessions as { id: string; current: boolean }[]
    assert.equal(sessions.length, 3)
    assert.deepEqual(
      sessions.filter((s) => s.current).map((s) => s.id),
      [user.sessionId],
    )

    const revokeOne = await call(t.url, `/v1/sessions/${second.body.session_id}`, {
      method: 'DELETE',
      headers: bearer(user.accessToken),
    })
    assert.equal(revokeOne.status, 204)
    const refreshSecond = await call(t.url, '/v1/refresh', {
      body: { refresh_token: second.body.refresh_token },
    })
    assert.equal(refreshSecond.body.reason, 'session_revoked')

    const revokeAll = await call(t.url, '/v1/sessions?keep_current=true', {
      method: 'DELETE',
      headers: bearer(user.accessToken),
    })
    assert.equal(revokeAll.status, 204)
    const refreshThird = await call(t.url, '/v1/refresh', {
      body: { refresh_token: third.body.refresh_token },
    })
    assert.equal(refreshThird.body.reason, 'session_revoked')
    const mine = await call(t.url, '/v1/refresh', { body: { refresh_token: user.refreshToken } })
    assert.equal(mine.status, 200, 'the current session was kept')

    const revokeEverything = await call(t.url, '/v1/sessions', {
      method: 'DELETE',
      headers: bearer(mine.body.access_token as string),
    })
    assert.equal(revokeEverything.status, 204)
    const after = await call(t.url, '/v1/me', { headers: bearer(mine.body.access_token as string) })
    assert.equal(after.body.reason, 'session_revoked')
  })

  test("another user's session id is answered like an unknown one", async () => {
    const alice = await signUp(t.url)
    const mallory = await signUp(t.url)
    const attempt = await call(t.url, `/v1/sessions/${alice.sessionId}`, {
      method: 'DELETE',
      headers: bearer(mallory.accessToken),
    })
    assert.equal(attempt.status, 404)
    const stillThere = await call(t.url, '/v1/me', { headers: bearer(alice.accessToken) })
    assert.equal(stillThere.status, 200)
  })

  test('password change revokes the other sessions and keeps the current one', async () => {
    const user = await signUp(t.url)
    const other = await call(t.url, '/v1/login', { body: { email: user.email, password: PASSWORD } })
    const wrong = await call(t.url, '/v1/password', {
      headers: bearer(user.accessToken),
      body: { current_password: 'not the password', new_password: 'a whole new passphrase' },
    })
    assert.equal(wrong.status, 401)
    assert.equal(wrong.body.reason, 'invalid_credentials')
    const change = await call(t.url, '/v1/password', {
      headers: bearer(user.accessToken),
      body: { current_password: PASSWORD, new_password: 'a whole new passphrase' },
    })
    assert.equal(change.status, 204)
    const otherRefresh = await call(t.url, '/v1/refresh', {
      body: { refresh_token: other.body.refresh_token },
    })
    assert.equal(otherRefresh.body.reason, 'session_revoked')
    const mine = await call(t.url, '/v1/me', { headers: bearer(user.accessToken) })
    assert.equal(mine.status, 200)
    const oldLogin = await call(t.url, '/v1/login', { body: { email: user.email, password: PASSWORD } })
    assert.equal(oldLogin.body.reason, 'invalid_credentials')
    const newLogin = await call(t.url, '/v1/login', {
      body: { email: user.email, password: 'a whole new passphrase' },
    })
    assert.equal(newLogin.status, 200)
  })

  test('idle expiry of a refresh token answers refresh_token_expired', async () => {
    const user = await signUp(t.url)
    t.clock.advance(15 * 86_400)
    const refresh = await call(t.url, '/v1/refresh', { body: { refresh_token: user.refreshToken } })
    assert.equal(refresh.status, 401)
    assert.equal(refresh.body.reason, 'refresh_token_expired')
  })
})
