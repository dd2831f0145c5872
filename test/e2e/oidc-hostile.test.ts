/**
 * A hand-made hostile OpenID Provider on loopback, and Tessera configured against it: every forged or
 * misdirected ID token, every mix-up and every replay is refused with its reason code, and creates no user.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  type HostileCase,
  type HostileProvider,
  startHostileProvider,
} from '../support/hostile-oidc-provider.ts'
import { findFreePort, startTestServer, type TestServer, uniqueEmail } from '../support/test-server.ts'

const LOGIN_COOKIE = '__Host-tessera-oidc'

/** The expected refusal of each corrupting case: SPEC §4 reason and the detail naming the check. */
const refusals: readonly (readonly [HostileCase, string, string])[] = [
  ['wrong_iss', 'wrong_issuer', 'id_token_or_response_iss'],
  ['mixup_iss_param', 'wrong_issuer', 'response_iss'],
  ['wrong_aud', 'wrong_audience', 'id_token_aud'],
  ['extra_aud_without_azp', 'wrong_audience', 'id_token_aud'],
  ['wrong_azp', 'wrong_audience', 'id_token_azp'],
  ['missing_nonce', 'csrf_failed', 'id_token_nonce'],
  ['wrong_nonce', 'csrf_failed', 'id_token_nonce'],
  ['expired', 'expired', 'id_token_exp'],
  ['issued_in_future', 'not_yet_valid', 'id_token_timestamps'],
  ['alg_none', 'unsupported_alg', 'id_token_alg'],
  ['hs256_client_secret', 'unsupported_alg', 'id_token_alg'],
  ['bad_signature', 'bad_signature', 'id_token_signature'],
  ['unknown_kid', 'unknown_key', 'id_token_kid'],
  ['no_id_token', 'invalid_request', 'token_response_invalid'],
  ['token_endpoint_error', 'invalid_request', 'token_endpoint_refused_code'],
]

describe('a hostile OpenID Provider: forged and misdirected logins are refused and create no user', () => {
  let op: HostileProvider
  let t: TestServer

  before(async () => {
    const port = await findFreePort()
    op = await startHostileProvider({ redirectUris: [`http://127.0.0.1:${port}/v1/oidc/evil/callback`] })
    t = await startTestServer({
      realIssuer: true,
      port,
      env: {
        TESSERA_OIDC_PROVIDERS: JSON.stringify([
          {
            id: 'evil',
            name: 'Evil',
            issuer: op.issuer,
            clientId: op.clientId,
            clientSecret: op.clientSecret,
            linkByVerifiedEmail: true,
          },
        ]),
      },
    })
  })
  after(async () => {
    await t?.close()
    await op?.close()
  })

  /** Starts a login; returns the provider URL and the browser's login cookie. */
  async function start(): Promise<{ location: string; cookie: string }> {
    const response = await fetch(`${t.url}/v1/oidc/evil/start`, { redirect: 'manual' })
    assert.equal(response.status, 303)
    const cookie = response.headers.getSetCookie().find((line) => line.startsWith(`${LOGIN_COOKIE}=`)) ?? ''
    return { location: response.headers.get('location') ?? '', cookie: cookie.split(';')[0] ?? '' }
  }

  async function callback(url: string, cookie: string): Promise<Response> {
    return fetch(url, { redirect: 'manual', headers: cookie === '' ? {} : { cookie } })
  }

  async function assertNoUser(email: string, subject: string): Promise<void> {
    const { store } = t.server.services
    assert.equal(await store.users.findByEmail(email), undefined, 'no user was created')
    assert.equal(
      await store.identities.findBySubject(op.issuer, subject),
      undefined,
      'no identity was linked',
    )
  }

  test('the honest case signs in (the harness is a working provider)', async () => {
    op.setCase('honest')
    const { location, cookie } = await start()
    const answer = await callback(
      op.authorize(location, { sub: 'honest-1', email: uniqueEmail('honest') }),
      cookie,
    )
    assert.equal(answer.status, 303, await answer.text())
  })

  for (const [hostileCase, reason, detail] of refusals) {
    test(`${hostileCase}: ${reason} (${detail})`, async () => {
      op.setCase(hostileCase)
      const email = uniqueEmail(hostileCase)
      const subject = `sub-${hostileCase}`
      const { location, cookie } = await start()
      const answer = await callback(
        op.authorize(location, { sub: subject, email, emailVerified: true }),
        cookie,
      )
      assert.equal(answer.status, 400, await answer.clone().text())
      assert.equal(answer.headers.get('tessera-reason'), reason)
      assert.equal(answer.headers.get('tessera-detail'), detail)
      assert.equal(
        answer.headers.getSetCookie().some((line) => line.startsWith('__Secure-tessera-rt=')),
        false,
      )
      await assertNoUser(email, subject)
    })
  }

  test('a code injected into another login (wrong PKCE verifier) is refused by the provider', async () => {
    op.setCase('honest')
    const email = uniqueEmail('injected')
    const attacker = await start()
    const victim = await start()
    // The attacker's authorization code, delivered into the victim's login (its state and cookie).
    const attackerCallback = new URL(op.authorize(attacker.location, { sub: 'attacker', email }))
    const victimCallback = new URL(op.authorize(victim.location, { sub: 'victim' }))
    victimCallback.searchParams.set('code', attackerCallback.searchParams.get('code') ?? '')
    const answer = await callback(victimCallback.href, victim.cookie)
    assert.equal(answer.headers.get('tessera-reason'), 'invalid_request')
    assert.equal(answer.headers.get('tessera-detail'), 'token_endpoint_refused_code')
    assert.equal(op.tokenRequests.at(-1)?.ok, false, 'the provider saw a verifier that does not match')
    await assertNoUser(email, 'attacker')
  })

  test('a callback without state, and a replayed callback, are refused', async () => {
    op.setCase('honest')
    const { location, cookie } = await start()
    const url = new URL(op.authorize(location, { sub: 'replayed', email: uniqueEmail('replayed') }))
    const stateless = new URL(url)
    stateless.searchParams.delete('state')
    const missing = await callback(stateless.href, cookie)
    assert.equal(missing.headers.get('tessera-detail'), 'missing_state')
    assert.equal((await callback(url.href, cookie)).status, 303, 'the real callback goes through once')
    const replay = await callback(url.href, cookie)
    assert.equal(replay.headers.get('tessera-reason'), 'csrf_failed')
    assert.equal(replay.headers.get('tessera-detail'), 'unknown_expired_or_used_state')
  })

  test('a provider that does not answer in time is a 503 page, not a hang', async () => {
    op.setCase('slow_token_endpoint')
    const { location, cookie } = await start()
    const email = uniqueEmail('slow')
    const answer = await callback(op.authorize(location, { sub: 'slow', email }), cookie)
    assert.equal(answer.status, 503)
    assert.equal(answer.headers.get('tessera-detail'), 'provider_unreachable')
    await assertNoUser(email, 'slow')
  })
})
