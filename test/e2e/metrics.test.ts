import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { postForm } from '../support/service-clients.ts'
import {
  bearer,
  call,
  PASSWORD,
  signUp,
  startTestServer,
  type TestServer,
  uniqueEmail,
} from '../support/test-server.ts'

/** One line of the exposition grammar (format 0.0.4): a name, optional labels, a float value. */
const SAMPLE_LINE =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\})? (?:[+-]?Inf|NaN|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/
const HELP_LINE = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$/
const TYPE_LINE = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$/

interface Scrape {
  readonly text: string
  /** `name{labels}` exactly as written → value. */
  readonly samples: ReadonlyMap<string, number>
  readonly types: ReadonlyMap<string, string>
}

async function scrape(t: TestServer): Promise<Scrape> {
  const response = await fetch(`${t.url}/metrics`)
  assert.equal(response.status, 200)
  assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8')
  const text = await response.text()
  assert.ok(text.endsWith('\n'), 'the exposition ends with a line feed')
  const samples = new Map<string, number>()
  const types = new Map<string, string>()
  const helped = new Set<string>()
  for (const line of text.slice(0, -1).split('\n')) {
    const help = HELP_LINE.exec(line)
    const type = TYPE_LINE.exec(line)
    if (help?.[1] !== undefined) helped.add(help[1])
    else if (type?.[1] !== undefined && type[2] !== undefined) {
      assert.ok(helped.has(type[1]), `HELP precedes TYPE for ${type[1]}`)
      types.set(type[1], type[2])
    } else {
      assert.match(line, SAMPLE_LINE)
      const cut = line.lastIndexOf(' ')
      const key = line.slice(0, cut)
      const family = key.replace(/\{.*$/, '').replace(/_(bucket|sum|count)$/, '')
      assert.ok(types.has(family) || types.has(key.replace(/\{.*$/, '')), `TYPE line before ${key}`)
      assert.equal(samples.has(key), false, `one sample per series: ${key}`)
      samples.set(key, Number(line.slice(cut + 1)))
    }
  }
  return { text, samples, types }
}

function sampleOf(s: Scrape, key: string): number | undefined {
  return s.samples.get(key)
}

describe('GET /metrics', () => {
  let t: TestServer
  before(async () => {
    t = await startTestServer({ env: { TESSERA_THROTTLE_LOGIN_PER_ACCOUNT_LIMIT: '1' } })
  })
  after(async () => {
    await t.close()
  })

  test('counts logins, refreshes by outcome, reuse, revocations and throttling, in valid format 0.0.4', async () => {
    const user = await signUp(t.url)
    const refreshed = await call(t.url, '/v1/refresh', { body: { refresh_token: user.refreshToken } })
    assert.equal(refreshed.status, 200)
    const replayed = await call(t.url, '/v1/refresh', { body: { refresh_token: user.refreshToken } })
    assert.equal(replayed.status, 200, 'within the grace window the same successor comes back')
    t.clock.advance(11)
    const reused = await call(t.url, '/v1/refresh', { body: { refresh_token: user.refreshToken } })
    assert.equal(reused.body.reason, 'refresh_token_reused')

    const failed = await call(t.url, '/v1/login', {
      body: { email: user.email, password: 'wrong password!!' },
    })
    assert.equal(failed.body.reason, 'invalid_credentials')
    const throttled = await call(t.url, '/v1/login', { body: { email: user.email, password: PASSWORD } })
    assert.equal(throttled.body.reason, 'rate_limited')

    // A second user: a login that succeeds, a refresh through the OAuth grant, a session ended by id.
    const other = await signUp(t.url, uniqueEmail('other'))
    const login = await call(t.url, '/v1/login', { body: { email: other.email, password: PASSWORD } })
    assert.equal(login.status, 200)
    const grant = await postForm(t.url, '/oauth/token', {
      grant_type: 'refresh_token',
      refresh_token: other.refreshToken,
    })
    assert.equal(grant.status, 200, grant.text)
    const ended = await call(t.url, `/v1/sessions/${other.sessionId}`, {
      method: 'DELETE',
      headers: bearer(login.body.access_token as string),
    })
    assert.equal(ended.status, 204)
    const secretPath = `/no/such/${encodeURIComponent(other.email)}?token=${other.refreshToken}`
    assert.equal((await call(t.url, secretPath)).status, 404)

    const s = await scrape(t)
    assert.equal(sampleOf(s, 'tessera_signups_total'), 2)
    assert.equal(sampleOf(s, 'tessera_logins_total{outcome="failure"}'), 1)
    assert.equal(sampleOf(s, 'tessera_logins_total{outcome="success"}'), 1)
    assert.equal(
      sampleOf(s, 'tessera_refreshes_total{outcome="ok"}'),
      2,
      'one via /v1/refresh, one via the grant',
    )
    assert.equal(sampleOf(s, 'tessera_refreshes_total{outcome="grace"}'), 1)
    assert.equal(sampleOf(s, 'tessera_refreshes_total{outcome="refresh_token_reused"}'), 1)
    assert.equal(sampleOf(s, 'tessera_refresh_reuse_detections_total'), 1)
    assert.equal(sampleOf(s, 'tessera_sessions_revoked_total'), 2, 'the reused family and the ended session')
    assert.equal(sampleOf(s, 'tessera_throttled_requests_total{rule="login_per_account"}'), 1)
    assert.equal(sampleOf(s, 'tessera_password_hash_queue{state="running"}'), 0)
    assert.equal(sampleOf(s, 'tessera_password_hash_queue{state="queued"}'), 0)
    assert.equal(sampleOf(s, 'tessera_revocation_feed_subscribers'), 0)

    assert.equal(
      sampleOf(s, 'tessera_http_requests_total{method="POST",route="/v1/refresh",status="200"}'),
      2,
    )
    assert.equal(
      sampleOf(s, 'tessera_http_requests_total{method="POST",route="/v1/refresh",status="401"}'),
      1,
    )
    assert.equal(sampleOf(s, 'tessera_http_requests_total{method="POST",route="/v1/login",status="429"}'), 1)
    assert.equal(
      sampleOf(s, 'tessera_http_requests_total{method="POST",route="/oauth/token",status="200"}'),
      1,
    )
    assert.equal(
      sampleOf(s, 'tessera_http_requests_total{method="DELETE",route="/v1/sessions/:id",status="204"}'),
      1,
    )
    assert.equal(sampleOf(s, 'tessera_http_requests_total{method="GET",route="unmatched",status="404"}'), 1)
    const refreshBuckets =
      'tessera_http_request_duration_seconds_bucket{method="POST",route="/v1/refresh",le="+Inf"}'
    assert.equal(sampleOf(s, refreshBuckets), 3)
    assert.equal(
      sampleOf(s, 'tessera_http_request_duration_seconds_count{method="POST",route="/v1/refresh"}'),
      3,
    )
    assert.equal(s.types.get('tessera_http_request_duration_seconds'), 'histogram')
    assert.equal(s.types.get('tessera_password_hash_queue'), 'gauge')
    assert.equal(s.types.get('tessera_logins_total'), 'counter')

    for (const secret of [
      user.refreshToken,
      user.accessToken,
      other.refreshToken,
      other.sessionId,
      'no/such',
    ]) {
      assert.equal(s.text.includes(secret), false, 'no token, session id or raw URL in the scrape')
    }
    assert.equal(/example\.test|@/.test(s.text), false, 'no email in the scrape')
  })
})
