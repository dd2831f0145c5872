/**
 * Attacks on refresh tokens, revocation and replay (RFC 9700 §4.14, RFC 7009, RFC 7662, RFC 9449 §5):
 * reuse after rotation, races, another client's or key's use, guessing, expiry, replay after logout /
 * password change / disable / revoke-all, revocation and introspection edge cases, `max_uses` under
 * concurrency. Each case asserts the exact reason, and where the attack must not change anything, that the
 * users, sessions and refresh-token rows are byte for byte what they were.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { createDpopKeyHolder } from '../support/dpop-key-holder.ts'
import { createTestClient, postForm, type TestClient } from '../support/service-clients.ts'
import {
  bearer,
  call,
  type JsonResponse,
  PASSWORD,
  signUp,
  startTestServer,
  type TestServer,
  uniqueEmail,
} from '../support/test-server.ts'
import { accountState } from './support/account-state.ts'

const ISSUER = 'http://localhost:8080'

function assertRefused(response: JsonResponse, status: number, reason: string): void {
  assert.equal(response.status, status, response.text)
  assert.equal(response.body.reason, reason, response.text)
}

describe('attacks: refresh tokens, revocation and replay', () => {
  let t: TestServer
  let introspector: TestClient
  let otherClient: TestClient
  const refresh = (token: unknown, headers: Record<string, string> = {}) =>
    call(t.url, '/v1/refresh', { body: { refresh_token: token }, headers })
  const me = (accessToken: string) => call(t.url, '/v1/me', { headers: bearer(accessToken) })
  const introspect = (token: string) => postForm(t.url, '/oauth/introspect', { token }, introspector.headers)

  /** Runs `attack` and asserts that no user, session or refresh-token row changed. */
  async function withoutChange(attack: () => Promise<void>): Promise<void> {
    const before = accountState(t)
    await attack()
    assert.deepEqual(accountState(t), before, 'the attack changed stored state')
  }

  before(async () => {
    t = await startTestServer({
      env: { TESSERA_REFRESH_TOKEN_IDLE_SECONDS: '3600', TESSERA_REFRESH_TOKEN_ABSOLUTE_SECONDS: '7200' },
    })
    introspector = await createTestClient(t, 'tokens:introspect sessions:revoke')
    otherClient = await createTestClient(t, 'orders:read', 'other client')
  })
  after(() => t.close())

  describe('reuse and races', () => {
    test('a rotated token after the grace window: refresh_token_reused, and the whole family dies', async () => {
      const user = await signUp(t.url)
      const next = await refresh(user.refreshToken)
      t.clock.advance(11)
      assertRefused(await refresh(user.refreshToken), 401, 'refresh_token_reused')
      assertRefused(await refresh(next.body.refresh_token), 401, 'session_revoked')
      assertRefused(await me(String(next.body.access_token)), 401, 'session_revoked')
    })

    test('a rotated token within the grace window gets the same successor, not a fork', async () => {
      const user = await signUp(t.url)
      const first = await refresh(user.refreshToken)
      const again = await refresh(user.refreshToken)
      assert.equal(again.status, 200)
      assert.equal(again.body.refresh_token, first.body.refresh_token)
    })

    test('30 simultaneous refreshes of one token: one successor for all, the session lives', async () => {
      const user = await signUp(t.url)
      const answers = await Promise.all(Array.from({ length: 30 }, () => refresh(user.refreshToken)))
      assert.deepEqual(new Set(answers.map((answer) => answer.status)), new Set([200]))
      assert.equal(new Set(answers.map((answer) => answer.body.refresh_token)).size, 1)
      assert.equal((await refresh(answers[0]?.body.refresh_token)).status, 200)
    })

    test('another client presenting a first-party token, even rotated, is answered as unknown and changes nothing', async () => {
      const user = await signUp(t.url)
      await refresh(user.refreshToken)
      t.clock.advance(60)
      await withoutChange(async () => {
        const stolen = await postForm(
          t.url,
          '/oauth/token',
          { grant_type: 'refresh_token', refresh_token: user.refreshToken },
          otherClient.headers,
        )
        assertRefused(stolen, 400, 'invalid_refresh_token')
      })
    })
  })

  describe('guessing and confusion', () => {
    const forgeries: Array<[string, () => unknown]> = [
      [
        'a random token with the right prefix and length',
        () => `tsr_${randomBytes(48).toString('base64url')}`,
      ],
      ['an all-zero token', () => `tsr_${'A'.repeat(64)}`],
      ['a token without the prefix', () => randomBytes(48).toString('base64url')],
      ['an access token presented as a refresh token', () => 'eyJhbGciOiJFZERTQSJ9.e30.AAAA'],
    ]
    for (const [label, make] of forgeries) {
      test(`${label}: invalid_refresh_token, no store change`, () =>
        withoutChange(async () => assertRefused(await refresh(make()), 401, 'invalid_refresh_token')))
    }

    test('a real token with one character changed fails its integrity tag: invalid_refresh_token', async () => {
      const user = await signUp(t.url)
      const last = user.refreshToken.at(-1) === 'A' ? 'B' : 'A'
      await withoutChange(async () =>
        assertRefused(
          await refresh(`${user.refreshToken.slice(0, -1)}${last}`),
          401,
          'invalid_refresh_token',
        ),
      )
      assert.equal((await refresh(user.refreshToken)).status, 200, 'the genuine token still works')
    })

    for (const [label, value, field] of [
      ['a number', 12345, 'refresh_token'],
      ['an object', { $ne: null }, 'refresh_token'],
      ['an empty string', '', 'refresh_token'],
      ['9 KiB of text', 'x'.repeat(9000), 'refresh_token'],
    ] as const) {
      test(`refresh_token as ${label}: 400 invalid_request naming the field`, () =>
        withoutChange(async () => {
          const response = await refresh(value)
          assertRefused(response, 400, 'invalid_request')
          assert.match(String(response.body.message ?? response.body.field), new RegExp(field))
        }))
    }

    test('a refresh token presented as an access token: malformed', async () => {
      const user = await signUp(t.url)
      assertRefused(await me(user.refreshToken), 401, 'malformed')
    })
  })

  describe('expiry', () => {
    test('idle expiry: an unused token past the idle lifetime is refresh_token_expired, nothing changes', async () => {
      const user = await signUp(t.url)
      t.clock.advance(3601)
      await withoutChange(async () =>
        assertRefused(await refresh(user.refreshToken), 401, 'refresh_token_expired'),
      )
    })

    test('absolute expiry: refreshing every 30 min cannot stretch a session past its absolute end', async () => {
      const user = await signUp(t.url)
      let token = user.refreshToken
      for (let step = 0; step < 3; step += 1) {
        t.clock.advance(1800)
        const answer = await refresh(token)
        assert.equal(answer.status, 200)
        token = String(answer.body.refresh_token)
      }
      t.clock.advance(1801)
      assertRefused(await refresh(token), 401, 'refresh_token_expired')
    })
  })

  describe('replay after the session ended', () => {
    test('after logout: the refresh token is session_revoked, the access token too', async () => {
      const user = await signUp(t.url)
      assert.equal(
        (await call(t.url, '/v1/logout', { body: { refresh_token: user.refreshToken } })).status,
        204,
      )
      await withoutChange(async () => assertRefused(await refresh(user.refreshToken), 401, 'session_revoked'))
      assertRefused(await me(user.accessToken), 401, 'session_revoked')
    })

    test('after a password change: the other sessions are dead, the changing one lives', async () => {
      const user = await signUp(t.url)
      const other = await call(t.url, '/v1/login', { body: { email: user.email, password: PASSWORD } })
      const change = await call(t.url, '/v1/password', {
        headers: bearer(user.accessToken),
        body: { current_password: PASSWORD, new_password: 'an entirely new passphrase' },
      })
      assert.equal(change.status, 204)
      assertRefused(await refresh(other.body.refresh_token), 401, 'session_revoked')
      assertRefused(await me(String(other.body.access_token)), 401, 'session_revoked')
      assert.equal((await refresh(user.refreshToken)).status, 200)
    })

    test('after the user is disabled: refresh ends the session, the access token is revoked', async () => {
      const user = await signUp(t.url)
      await t.server.services.accounts.setDisabled(user.userId, true)
      assertRefused(await me(user.accessToken), 401, 'revoked')
      assertRefused(await refresh(user.refreshToken), 401, 'session_revoked')
    })

    test('after revoke-all: every session of the user is dead', async () => {
      const user = await signUp(t.url)
      const second = await call(t.url, '/v1/login', { body: { email: user.email, password: PASSWORD } })
      assert.equal(
        (await call(t.url, '/v1/sessions', { method: 'DELETE', headers: bearer(user.accessToken) })).status,
        204,
      )
      assertRefused(await refresh(user.refreshToken), 401, 'session_revoked')
      assertRefused(await refresh(second.body.refresh_token), 401, 'session_revoked')
    })
  })

  describe('RFC 7009 revocation and RFC 7662 introspection edges', () => {
    test('revoking an unknown or garbage token: 200 and nothing changes', () =>
      withoutChange(async () => {
        for (const token of [`tsr_${randomBytes(48).toString('base64url')}`, 'garbage', 'a.b.c']) {
          const response = await postForm(t.url, '/oauth/revoke', { token }, introspector.headers)
          assert.equal(response.status, 200, response.text)
        }
      }))

    test('revocation without client authentication: 401 invalid_client, nothing changes', async () => {
      const user = await signUp(t.url)
      await withoutChange(async () => {
        const response = await postForm(t.url, '/oauth/revoke', { token: user.refreshToken })
        assert.equal(response.status, 401)
        assert.equal(response.body.error, 'invalid_client')
      })
      assert.equal((await refresh(user.refreshToken)).status, 200)
    })

    test('a client without sessions:revoke cannot end a first-party session', async () => {
      const user = await signUp(t.url)
      await withoutChange(async () => {
        const response = await postForm(
          t.url,
          '/oauth/revoke',
          { token: user.refreshToken },
          otherClient.headers,
        )
        assert.notEqual(response.status, 500)
      })
      assert.equal((await refresh(user.refreshToken)).status, 200)
    })

    test('introspection: garbage, a revoked session’s tokens and an expired token are exactly {"active":false}', async () => {
      const user = await signUp(t.url)
      assert.deepEqual((await introspect('garbage')).body, { active: false })
      await call(t.url, '/v1/logout', { body: { refresh_token: user.refreshToken } })
      assert.deepEqual((await introspect(user.accessToken)).body, { active: false })
      assert.deepEqual((await introspect(user.refreshToken)).body, { active: false })
      const fresh = await signUp(t.url)
      t.clock.advance(901)
      assert.deepEqual((await introspect(fresh.accessToken)).body, { active: false })
    })

    test('a rotated refresh token, inside the grace window, is not active', async () => {
      const user = await signUp(t.url)
      await refresh(user.refreshToken)
      assert.deepEqual((await introspect(user.refreshToken)).body, { active: false })
    })
  })

  describe('binding to a DPoP key', () => {
    async function boundSession() {
      const key = createDpopKeyHolder()
      const response = await call(t.url, '/v1/signup', {
        body: { email: uniqueEmail('bound'), password: PASSWORD },
        headers: {
          dpop: key.proof({ method: 'POST', url: `${ISSUER}/v1/signup`, nowSeconds: t.clock.nowSeconds() }),
        },
      })
      assert.equal(response.status, 201, response.text)
      return { key, refreshToken: String(response.body.refresh_token) }
    }

    test('without the key: dpop_invalid and nothing changes', async () => {
      const { refreshToken } = await boundSession()
      await withoutChange(async () => assertRefused(await refresh(refreshToken), 401, 'dpop_invalid'))
    })

    test('with a thief’s own key: dpop_invalid and nothing changes', async () => {
      const { refreshToken } = await boundSession()
      const thief = createDpopKeyHolder('ES256')
      const proof = thief.proof({
        method: 'POST',
        url: `${ISSUER}/v1/refresh`,
        nowSeconds: t.clock.nowSeconds(),
      })
      await withoutChange(async () =>
        assertRefused(await refresh(refreshToken, { dpop: proof }), 401, 'dpop_invalid'),
      )
    })

    test('a rotated token replayed after the grace window without the key does not kill the family', async () => {
      const { key, refreshToken } = await boundSession()
      const proof = () =>
        key.proof({ method: 'POST', url: `${ISSUER}/v1/refresh`, nowSeconds: t.clock.nowSeconds() })
      const next = await refresh(refreshToken, { dpop: proof() })
      assert.equal(next.status, 200)
      t.clock.advance(60)
      await withoutChange(async () => assertRefused(await refresh(refreshToken), 401, 'dpop_invalid'))
      assert.equal((await refresh(next.body.refresh_token, { dpop: proof() })).status, 200)
    })
  })

  describe('max_uses under concurrency', () => {
    test('40 simultaneous uses of a max_uses 5 token: exactly 5 allowed', async () => {
      const counter = await createTestClient(t, 'tokens:consume', 'counter')
      const body = {
        iss: ISSUER,
        jti: `jti-${randomBytes(8).toString('hex')}`,
        exp: t.clock.nowSeconds() + 300,
        max_uses: 5,
      }
      const answers = await Promise.all(
        Array.from({ length: 40 }, () => call(t.url, '/v1/token-uses', { body, headers: counter.headers })),
      )
      const allowed = answers.filter((answer) => answer.status === 200 && answer.body.allowed === true).length
      assert.equal(allowed, 5, JSON.stringify(answers.slice(0, 2).map((answer) => answer.body)))
      assert.ok(answers.every((answer) => answer.status === 200))
    })
  })
})
