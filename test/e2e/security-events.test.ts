import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { verifyWebhookSignature } from '../../packages/server/src/domain/webhook-signature.ts'
import { runCli } from '../support/run-cli.ts'
import { basicAuth } from '../support/service-clients.ts'
import {
  bearer,
  call,
  PASSWORD,
  signUp,
  startTestServer,
  type TestServer,
  uniqueEmail,
} from '../support/test-server.ts'

const WEBHOOK_SECRET = 'an end-to-end webhook secret, 32+ bytes'
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'
const OTHER_BROWSER =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36'

interface EventView {
  id: string
  type: string
  at: number
  user_id: string | null
  session_id: string | null
  client_id: string | null
  ip: string | null
  user_agent: string | null
  details: Record<string, string | number | boolean | null>
}

interface Delivery {
  readonly body: string
  readonly isSignatureValid: boolean
  readonly status: number
}

/** A loopback webhook receiver that checks every signature and answers 500 to its first two requests. */
async function startReceiver(
  nowSeconds: () => number,
): Promise<{ url: string; deliveries: Delivery[]; close: () => void }> {
  const deliveries: Delivery[] = []
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const header = request.headers['tessera-signature']
      const isSignatureValid = verifyWebhookSignature(WEBHOOK_SECRET, header, body, {
        nowSeconds: nowSeconds(),
      })
      const status = !isSignatureValid ? 400 : deliveries.length < 2 ? 500 : 204
      deliveries.push({ body, isSignatureValid, status })
      response.writeHead(status).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const close = (): void => {
    server.closeAllConnections()
    server.close()
  }
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/security`, deliveries, close }
}

/** Yields until `check` holds; the test runner's timeout bounds it. */
async function eventually(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 20))
}

async function listEvents(t: TestServer, auth: string, query = ''): Promise<EventView[]> {
  const response = await call(t.url, `/v1/admin/events${query}`, { headers: { authorization: auth } })
  assert.equal(response.status, 200, response.text)
  return (response.body as { events: EventView[] }).events
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

describe('the security record over real HTTP, the CLI and a webhook', () => {
  let t: TestServer
  let receiver: Awaited<ReturnType<typeof startReceiver>>
  let admin: string
  /** Every credential the flows below handled: none may appear in any event. */
  const secrets: string[] = [PASSWORD, 'wrong password entirely', 'a brand new password 42']

  before(async () => {
    let clockRef: TestServer | undefined
    receiver = await startReceiver(() => clockRef?.clock.nowSeconds() ?? 0)
    t = await startTestServer({
      env: {
        TESSERA_SECURITY_EVENTS_WEBHOOK_URL: receiver.url,
        TESSERA_SECURITY_EVENTS_WEBHOOK_SECRET: WEBHOOK_SECRET,
        TESSERA_THROTTLE_LOGIN_PER_ACCOUNT_LIMIT: '3',
      },
    })
    clockRef = t
    const created = await runCli(
      ['clients', 'create', '--name', 'siem', '--scopes', 'events:read', '--json'],
      {
        dataDir: t.dataDir,
      },
    )
    assert.equal(created.code, 0, created.stderr)
    const client = JSON.parse(created.stdout) as { client_id: string; client_secret: string }
    secrets.push(client.client_secret)
    admin = basicAuth(client.client_id, client.client_secret)
  })
  after(async () => {
    await t.close()
    receiver.close()
  })

  test('sign-in, failures, reuse, logout and a password change are listed with the right types', async () => {
    const ada = await signUp(t.url)
    secrets.push(ada.accessToken, ada.refreshToken)
    const login = await call(t.url, '/v1/login', {
      body: { email: ada.email, password: PASSWORD },
      headers: { 'user-agent': BROWSER },
    })
    assert.equal(login.status, 200)
    const session = login.body as { access_token: string; refresh_token: string; session_id: string }
    secrets.push(session.access_token, session.refresh_token)

    const wrong = await call(t.url, '/v1/login', {
      body: { email: ada.email, password: 'wrong password entirely' },
    })
    const ghostEmail = uniqueEmail('nobody')
    const unknown = await call(t.url, '/v1/login', { body: { email: ghostEmail, password: PASSWORD } })
    assert.equal(wrong.status, 401)
    assert.equal(unknown.status, 401)

    // Reuse: rotate, then present the old token after the grace window.
    const rotated = await call(t.url, '/v1/refresh', { body: { refresh_token: ada.refreshToken } })
    assert.equal(rotated.status, 200)
    secrets.push(String(rotated.body.refresh_token), String(rotated.body.access_token))
    t.clock.advance(11)
    const reused = await call(t.url, '/v1/refresh', { body: { refresh_token: ada.refreshToken } })
    assert.equal(reused.body.reason, 'refresh_token_reused')

    const logout = await call(t.url, '/v1/logout', { body: { refresh_token: session.refresh_token } })
    assert.equal(logout.status, 204)

    const again = await call(t.url, '/v1/login', { body: { email: ada.email, password: PASSWORD } })
    const other = await call(t.url, '/v1/login', { body: { email: ada.email, password: PASSWORD } })
    secrets.push(String(again.body.refresh_token), String(other.body.refresh_token))
    const changed = await call(t.url, '/v1/password', {
      body: { current_password: PASSWORD, new_password: 'a brand new password 42' },
      headers: bearer(String(again.body.access_token)),
    })
    assert.equal(changed.status, 204)

    // Events of one second come in no particular order among themselves: compare them as a multiset.
    const events = await listEvents(t, admin, `?user_id=${ada.userId}`)
    assert.deepEqual(events.map((e) => `${e.type} ${e.details.cause ?? e.details.method ?? '-'}`).sort(), [
      'login_succeeded password',
      'login_succeeded password',
      'login_succeeded password',
      'password_changed -',
      'refresh_reuse_detected -',
      'session_revoked logout',
      'session_revoked password_change',
      'session_revoked reuse',
      'signup password',
    ])
    const loginEvent = events.find((e) => e.session_id === session.session_id && e.type === 'login_succeeded')
    assert.equal(loginEvent?.user_agent, BROWSER)
    assert.equal(loginEvent?.ip, '127.0.0.1')
    assert.equal(loginEvent?.client_id, 'tessera')
    assert.equal(events.find((e) => e.type === 'password_changed')?.details.other_sessions_revoked, 1)

    // Wrong password and unknown user are recorded alike: no user, the same reason, a pseudonym each.
    const failures = await listEvents(t, admin, '?type=login_failed')
    assert.equal(failures.length, 2)
    for (const failure of failures) {
      assert.equal(failure.user_id, null)
      assert.deepEqual(Object.keys(failure.details).sort(), ['account', 'method', 'reason'])
      assert.equal(failure.details.reason, 'invalid_credentials')
      assert.match(String(failure.details.account), /^acct_/)
    }
    secrets.push(ghostEmail, ada.email)

    const everything = JSON.stringify(await listEvents(t, admin, '?limit=1000'))
    for (const secret of secrets) {
      assert.ok(!everything.includes(secret), 'no credential or tried email in the record')
      assert.ok(!everything.includes(sha256Hex(secret)), 'no hash of one either')
    }
    assert.ok(!everything.includes('$argon2'), 'no password hash')
  })

  test('the admin API pages with a cursor, names a bad parameter, and needs events:read', async () => {
    for (let i = 0; i < 3; i++) await signUp(t.url) // two full pages whatever ran before
    const first = await call(t.url, '/v1/admin/events?limit=2', { headers: { authorization: admin } })
    const page = first.body as { events: EventView[]; next_cursor: string | null }
    assert.equal(page.events.length, 2)
    assert.equal(page.next_cursor, page.events[1]?.id)
    const second = await call(t.url, `/v1/admin/events?limit=2&cursor=${page.next_cursor}`, {
      headers: { authorization: admin },
    })
    const next = (second.body as { events: EventView[] }).events
    assert.equal(next.length, 2)
    assert.ok(next.every((e) => !page.events.some((seen) => seen.id === e.id)))
    assert.ok((next[0]?.at ?? 0) <= (page.events[1]?.at ?? 0), 'older events on the next page')

    for (const [query, field] of [
      ['?limit=0', 'limit'],
      ['?limit=abc', 'limit'],
      ['?type=nope', 'type'],
      ['?user_id=ada%40example.com', 'user_id'],
      ['?since=yesterday', 'since'],
      ['?cursor=evt_123', 'cursor'],
      ['?colour=blue', 'colour'],
      ['?type=login_failed&type=signup', 'type'],
    ] as const) {
      const bad = await call(t.url, `/v1/admin/events${query}`, { headers: { authorization: admin } })
      assert.equal(bad.status, 400, query)
      assert.equal(bad.body.reason, 'invalid_request', query)
      assert.equal(bad.body.field, field, query)
    }

    const created = await runCli(['clients', 'create', '--name', 'no-scope', '--json'], {
      dataDir: t.dataDir,
    })
    const plain = JSON.parse(created.stdout) as { client_id: string; client_secret: string }
    const refused = await call(t.url, '/v1/admin/events', {
      headers: { authorization: basicAuth(plain.client_id, plain.client_secret) },
    })
    assert.equal(refused.status, 403)
    assert.equal(refused.body.reason, 'insufficient_scope')
    const anonymous = await call(t.url, '/v1/admin/events')
    assert.equal(anonymous.status, 401)
    assert.equal(anonymous.body.error, 'invalid_client')
    const openapi = await call(t.url, '/openapi.json')
    const operation = (openapi.body.paths as Record<string, { get?: { parameters?: { name: string }[] } }>)[
      '/v1/admin/events'
    ]?.get
    assert.deepEqual(
      operation?.parameters?.map((p) => p.name),
      ['user_id', 'type', 'since', 'until', 'cursor', 'limit'],
    )
  })

  test('the CLI lists the same events, records its own actions as actor cli, and keeps SPEC §6 exit codes', async () => {
    const bob = await signUp(t.url)
    const listed = await runCli(['events', '--user', bob.email, '--json'], { dataDir: t.dataDir })
    assert.equal(listed.code, 0, listed.stderr)
    const fromCli = JSON.parse(listed.stdout) as { events: EventView[]; next_cursor: string | null }
    assert.deepEqual(fromCli, {
      events: await listEvents(t, admin, `?user_id=${bob.userId}`),
      next_cursor: null,
    })
    assert.deepEqual(
      fromCli.events.map((e) => e.type),
      ['signup'],
    )

    const disabled = await runCli(['users', 'disable', '--id', bob.userId, '--json'], { dataDir: t.dataDir })
    assert.equal(disabled.code, 0, disabled.stderr)
    const rotated = await runCli(['keys', 'rotate', '--force', '--json'], { dataDir: t.dataDir })
    assert.equal(rotated.code, 0, rotated.stderr)
    // The CLI stamps its events with its own (real) clock, the server with the test's manual one.
    const bobEvents = await listEvents(t, admin, `?user_id=${bob.userId}`)
    assert.deepEqual(
      bobEvents.map((e) => [e.type, e.details.actor ?? null, e.details.cause ?? null]).sort(),
      [
        ['session_revoked', 'cli', 'admin'],
        ['signup', null, null],
        ['user_disabled', 'cli', null],
      ],
    )
    assert.equal(bobEvents.find((e) => e.type === 'user_disabled')?.details.sessions_revoked, 1)
    const [keyRotated] = await listEvents(t, admin, '?type=key_rotated')
    const [keyRetired] = await listEvents(t, admin, '?type=key_retired')
    const ring = JSON.parse(rotated.stdout) as { kid: string; next: string }
    assert.deepEqual(keyRotated?.details, {
      kid: ring.kid,
      next_kid: ring.next,
      trigger: 'manual',
      forced: true,
      actor: 'cli',
    })
    assert.equal(keyRetired?.details.actor, 'cli')
    assert.notEqual(keyRetired?.details.kid, ring.kid)
    const clientEvents = await listEvents(t, admin, '?type=client_created')
    assert.ok(clientEvents.some((e) => e.details.name === 'siem' && e.details.scopes === 'events:read'))

    const human = await runCli(['events', '--type', 'signup', '--since', '1h', '--limit', '5'], {
      dataDir: t.dataDir,
    })
    assert.equal(human.code, 0, human.stderr)
    assert.match(human.stdout, /signup/)
    assert.equal((await runCli(['events', '--limit', '0'], { dataDir: t.dataDir })).code, 2)
    assert.equal((await runCli(['events', '--type', 'nope'], { dataDir: t.dataDir })).code, 2)
    assert.equal((await runCli(['events', '--colour'], { dataDir: t.dataDir })).code, 2)
    const nobody = await runCli(['events', '--user', 'nobody@example.test', '--json'], { dataDir: t.dataDir })
    assert.equal(nobody.code, 1)
    const help = await runCli(['events', '--help'], { dataDir: t.dataDir })
    assert.equal(help.code, 0)
    assert.match(help.stdout, /Usage: tessera events/)
  })

  test('a throttled sign-in is recorded once per burst under the same account pseudonym', async () => {
    const email = uniqueEmail('throttled')
    let status = 0
    for (let attempt = 0; attempt < 20 && status !== 429; attempt++) {
      status = (await call(t.url, '/v1/login', { body: { email, password: 'not the password' } })).status
    }
    assert.equal(status, 429)
    await call(t.url, '/v1/login', { body: { email, password: 'not the password' } })
    const throttled = await listEvents(t, admin, '?type=login_throttled')
    assert.equal(throttled.length, 1, 'repeats within a minute fold into one event')
    const account = throttled[0]?.details.account
    const failures = await listEvents(t, admin, '?type=login_failed')
    assert.equal(failures.filter((e) => e.details.account === account).length, 3, 'the failures before it')
  })

  test('the webhook got every event, signed, and retried the deliveries its receiver refused', async () => {
    // Events recorded by the CLI processes are stored but not sent: the CLI here has no webhook configured.
    const stored = (await listEvents(t, admin, '?limit=1000')).filter((e) => e.details.actor !== 'cli')
    const deliveredIds = (): Set<string> =>
      new Set(
        receiver.deliveries.filter((d) => d.status === 204).map((d) => (JSON.parse(d.body) as EventView).id),
      )
    await eventually(() => stored.every((event) => deliveredIds().has(event.id)))
    assert.ok(receiver.deliveries.every((d) => d.isSignatureValid))
    assert.deepEqual(
      receiver.deliveries.slice(0, 2).map((d) => d.status),
      [500, 500],
    )
    const refusedIds = receiver.deliveries.slice(0, 2).map((d) => (JSON.parse(d.body) as EventView).id)
    for (const id of refusedIds) assert.ok(deliveredIds().has(id), 'a refused event came again and got in')
    const bodies = new Map(receiver.deliveries.map((d) => [(JSON.parse(d.body) as EventView).id, d.body]))
    for (const event of stored) assert.deepEqual(JSON.parse(bodies.get(event.id) ?? 'null'), event)
    const metrics = await call(t.url, '/metrics')
    assert.match(metrics.text, /tessera_security_webhook_deliveries_total\{outcome="retried"\} [1-9]/)
    assert.match(metrics.text, /tessera_security_events_total\{type="login_failed",outcome="stored"\} [1-9]/)
  })
})

describe('suspicious refresh in each mode', () => {
  /** Signs up from one network and browser, then refreshes from another; what the server answered and recorded. */
  async function refreshFromElsewhere(mode: string): Promise<{
    refresh: Awaited<ReturnType<typeof call>>
    events: EventView[]
    nextRefresh: Awaited<ReturnType<typeof call>> | undefined
  }> {
    const t = await startTestServer({
      env: { TESSERA_SUSPICIOUS_REFRESH: mode, TESSERA_TRUSTED_PROXIES: '127.0.0.1' },
    })
    try {
      const created = await runCli(
        ['clients', 'create', '--name', 'siem', '--scopes', 'events:read', '--json'],
        {
          dataDir: t.dataDir,
        },
      )
      const client = JSON.parse(created.stdout) as { client_id: string; client_secret: string }
      const home = { 'x-forwarded-for': '198.51.100.4', 'user-agent': BROWSER }
      const signup = await call(t.url, '/v1/signup', {
        body: { email: uniqueEmail('moved'), password: PASSWORD },
        headers: home,
      })
      assert.equal(signup.status, 201)
      // Same /24 and browser: never suspicious.
      const nearby = await call(t.url, '/v1/refresh', {
        body: { refresh_token: signup.body.refresh_token },
        headers: { ...home, 'x-forwarded-for': '198.51.100.77' },
      })
      assert.equal(nearby.status, 200)
      t.clock.advance(1)
      const refresh = await call(t.url, '/v1/refresh', {
        body: { refresh_token: nearby.body.refresh_token },
        headers: { 'x-forwarded-for': '203.0.113.9', 'user-agent': OTHER_BROWSER },
      })
      const nextToken = refresh.status === 200 ? refresh.body.refresh_token : undefined
      t.clock.advance(1)
      const nextRefresh =
        mode === 'revoke'
          ? await call(t.url, '/oauth/token', {
              rawBody: `grant_type=refresh_token&refresh_token=${String(nearby.body.refresh_token)}`,
              headers: { 'content-type': 'application/x-www-form-urlencoded', ...home },
            })
          : nextToken === undefined
            ? undefined
            : await call(t.url, '/v1/refresh', { body: { refresh_token: nextToken }, headers: home })
      const events = await listEvents(t, basicAuth(client.client_id, client.client_secret), '?limit=1000')
      return { refresh, events, nextRefresh }
    } finally {
      await t.close()
    }
  }

  const suspicious = (events: EventView[]) => events.filter((e) => e.type === 'suspicious_refresh')

  test('allow: the refresh succeeds and nothing is recorded', async () => {
    const { refresh, events } = await refreshFromElsewhere('allow')
    assert.equal(refresh.status, 200)
    assert.deepEqual(suspicious(events), [])
  })

  test('report: the refresh succeeds and each change is recorded, by network range and client kind', async () => {
    const { refresh, events, nextRefresh } = await refreshFromElsewhere('report')
    assert.equal(refresh.status, 200)
    assert.equal(nextRefresh?.status, 200, 'the session goes on')
    // Back home is a change again (the last use was elsewhere): two reports, newest first.
    const reports = suspicious(events)
    assert.equal(reports.length, 2)
    assert.deepEqual(reports[1]?.details, {
      action: 'reported',
      changed: 'network_and_user_agent',
      previous_network: '198.51.100.0/24',
      current_network: '203.0.113.0/24',
      previous_client: 'Firefox/Linux',
      current_client: 'Chrome/Windows',
    })
    assert.equal(reports[1]?.ip, '203.0.113.9')
  })

  test('revoke: the refresh answers session_revoked, the session is over, and both events are recorded', async () => {
    const { refresh, events, nextRefresh } = await refreshFromElsewhere('revoke')
    assert.equal(refresh.status, 401)
    assert.equal(refresh.body.reason, 'session_revoked')
    assert.equal(nextRefresh?.status, 400, 'the refresh_token grant refuses the family too')
    assert.equal(nextRefresh?.body.error, 'invalid_grant')
    assert.equal(nextRefresh?.body.reason, 'session_revoked')
    assert.equal(suspicious(events)[0]?.details.action, 'revoked')
    const revoked = events.filter((e) => e.type === 'session_revoked')
    assert.deepEqual(
      revoked.map((e) => e.details.cause),
      ['suspicious_refresh'],
    )
    assert.equal(revoked[0]?.session_id, suspicious(events)[0]?.session_id)
  })
})
