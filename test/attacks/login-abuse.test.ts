import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'
import {
  call,
  type JsonResponse,
  PASSWORD,
  signUp,
  startTestServer,
  TEST_ORIGIN,
  type TestServer,
  uniqueEmail,
} from '../support/test-server.ts'
import { type AccountState, accountState, hashingOperations } from './support/account-state.ts'

/**
 * Attacks on password sign-in: account enumeration (by answer and by work), brute force around the
 * throttles (rotating X-Forwarded-For with and without a trusted proxy), credential stuffing, lockout
 * used as a weapon, oversized passwords and hashing floods, Unicode look-alikes in emails and passwords,
 * common passwords. Every refusal is checked for its exact reason and for leaving the accounts, sessions
 * and refresh tokens as they were.
 *
 * Longer than 400 lines because it is the one attack file for password sign-in (the brief of issue 8 names
 * it): six suites, each with the server settings its attack needs.
 */

const WRONG = 'wrong password, surely'
const DEVICE_COOKIE = '__Host-tessera-device'

function login(
  t: TestServer,
  email: string,
  password: string,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  return call(t.url, '/v1/login', { body: { email, password }, headers })
}

/** The value a response sets for a cookie, if it sets one. */
function setCookieValue(response: JsonResponse, name: string): string | undefined {
  const line = response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${name}=`))
  return line?.slice(name.length + 1).split(';')[0]
}

/** Asserts a refusal: status, reason, the field where there is one, and no cookie set. */
function assertRefused(response: JsonResponse, status: number, reason: string, field?: string): void {
  assert.equal(response.status, status, response.text)
  assert.equal(response.body.reason, reason, response.text)
  if (field !== undefined) assert.equal(response.body.field, field)
  assert.deepEqual(response.headers.getSetCookie(), [], 'a refusal sets no cookie')
  assert.equal(response.body.access_token, undefined)
}

/** A 429 `rate_limited` with the Retry-After a client needs. */
function assertThrottled(response: JsonResponse, retryAfterSeconds?: number): void {
  assertRefused(response, 429, 'rate_limited')
  const retryAfter = Number(response.headers.get('retry-after'))
  if (retryAfterSeconds === undefined) assert.ok(retryAfter >= 1, `Retry-After ${retryAfter}`)
  else assert.equal(retryAfter, retryAfterSeconds)
}

/** Headers that must be equal between two answers: all but Date. */
function comparableHeaders(response: JsonResponse): [string, string][] {
  return [...response.headers].filter(([name]) => name !== 'date')
}

function assertUnchanged(t: TestServer, before: AccountState): void {
  assert.deepEqual(accountState(t), before, 'users, sessions or refresh tokens changed')
}

function toFullwidth(text: string): string {
  return text.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0x21 + 0xff01))
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

describe('login abuse: enumeration, password shape, Unicode, common passwords', () => {
  let t: TestServer
  let user: Awaited<ReturnType<typeof signUp>>
  let disabled: Awaited<ReturnType<typeof signUp>>

  before(async () => {
    t = await startTestServer({
      env: {
        // Enumeration probes repeat wrong passwords; throttling is attacked in its own suites below.
        TESSERA_THROTTLE_LOGIN_PER_ACCOUNT_LIMIT: '100000',
        TESSERA_THROTTLE_LOGIN_PER_IP_LIMIT: '100000',
      },
    })
    user = await signUp(t.url, uniqueEmail('enum'))
    disabled = await signUp(t.url, uniqueEmail('disabled'))
    assert.ok(await t.server.services.accounts.setDisabled(disabled.userId, true))
  })
  after(() => t.close())

  test('unknown user, wrong password, disabled user, malformed email: byte-identical answers', async () => {
    const before = accountState(t)
    const answers = [
      await login(t, uniqueEmail('nobody'), WRONG),
      await login(t, user.email, WRONG),
      await login(t, disabled.email, PASSWORD),
      await login(t, 'not an email at all', WRONG),
    ]
    for (const answer of answers) assertRefused(answer, 401, 'invalid_credentials')
    const [first, ...rest] = answers as [JsonResponse, ...JsonResponse[]]
    for (const answer of rest) {
      assert.equal(answer.text, first.text)
      assert.deepEqual(comparableHeaders(answer), comparableHeaders(first))
    }
    assertUnchanged(t, before)
  })

  test('in browser mode too: identical answers, and no cookie of any kind for a failure', async () => {
    const headers = { origin: TEST_ORIGIN }
    const unknown = await login(t, uniqueEmail('nobody'), WRONG, headers)
    const wrong = await login(t, user.email, WRONG, headers)
    const off = await login(t, disabled.email, PASSWORD, headers)
    for (const answer of [unknown, wrong, off]) assertRefused(answer, 401, 'invalid_credentials')
    assert.equal(wrong.text, unknown.text)
    assert.deepEqual(comparableHeaders(wrong), comparableHeaders(unknown))
    assert.deepEqual(comparableHeaders(off), comparableHeaders(unknown))
  })

  test('the same argon2 work for every failure: one verify each, counted at the hasher', async () => {
    const cases: [string, () => Promise<JsonResponse>][] = [
      ['unknown user', () => login(t, uniqueEmail('nobody'), WRONG)],
      ['wrong password', () => login(t, user.email, WRONG)],
      ['disabled user', () => login(t, disabled.email, PASSWORD)],
      ['malformed email', () => login(t, 'not@@an email', WRONG)],
      ['correct password', () => login(t, user.email, PASSWORD)],
    ]
    for (const [label, attempt] of cases) {
      const before = hashingOperations(t)
      await attempt()
      assert.equal(hashingOperations(t) - before, 1, label)
    }
  })

  test('timing: 30 unknown-user and 30 wrong-password attempts each run exactly 30 verifies', async (context) => {
    const durations: Record<'unknown' | 'wrong', number[]> = { unknown: [], wrong: [] }
    const work: Record<'unknown' | 'wrong', number> = { unknown: 0, wrong: 0 }
    for (let i = 0; i < 30; i += 1) {
      for (const kind of ['unknown', 'wrong'] as const) {
        const before = hashingOperations(t)
        const startedAt = performance.now()
        const answer = await login(t, kind === 'unknown' ? uniqueEmail('ghost') : user.email, WRONG)
        durations[kind].push(performance.now() - startedAt)
        work[kind] += hashingOperations(t) - before
        assert.equal(answer.body.reason, 'invalid_credentials')
      }
    }
    // The work is what decides the timing; it is asserted. The medians are reported, not asserted (a
    // shared 2-core machine makes any time bound flaky).
    assert.deepEqual(work, { unknown: 30, wrong: 30 })
    context.diagnostic(
      `median ms: unknown ${median(durations.unknown).toFixed(1)}, wrong ${median(durations.wrong).toFixed(1)}`,
    )
  })

  test('a 1025-character password is refused with the field named, at signup and at login, unhashed', async () => {
    const before = accountState(t)
    const operations = hashingOperations(t)
    const long = 'x'.repeat(1025)
    const signup = await call(t.url, '/v1/signup', { body: { email: uniqueEmail('long'), password: long } })
    assertRefused(signup, 400, 'invalid_request', 'password')
    assert.match(String(signup.body.message), /at most 1024/)
    assertRefused(await login(t, user.email, long), 400, 'invalid_request', 'password')
    assert.equal(hashingOperations(t), operations)
    assertUnchanged(t, before)
  })

  test('a 1 MiB password is refused as a too-large body before anything is parsed or hashed', async () => {
    const before = accountState(t)
    const operations = hashingOperations(t)
    const huge = 'x'.repeat(1024 * 1024)
    assertRefused(await login(t, user.email, huge), 413, 'invalid_request', 'body')
    const signup = await call(t.url, '/v1/signup', { body: { email: uniqueEmail('huge'), password: huge } })
    assertRefused(signup, 413, 'invalid_request', 'body')
    assert.equal(hashingOperations(t), operations)
    assertUnchanged(t, before)
  })

  test('8 characters are enough and 7 are not; length counts characters, not UTF-16 units', async () => {
    const email = uniqueEmail('eight')
    const seven = await call(t.url, '/v1/signup', { body: { email, password: 'v8#Lq2!' } })
    assertRefused(seven, 400, 'invalid_request', 'password')
    const eight = await call(t.url, '/v1/signup', { body: { email, password: 'v8#Lq2!z' } })
    assert.equal(eight.status, 201, eight.text)
    assert.equal((await login(t, email, 'v8#Lq2!z')).status, 200)
    const emoji = '🔑'.repeat(1024)
    const fits = await call(t.url, '/v1/signup', { body: { email: uniqueEmail('emoji'), password: emoji } })
    assert.equal(fits.status, 201, '1024 astral characters are 2048 UTF-16 units, still 1024 characters')
    const over = await call(t.url, '/v1/signup', {
      body: { email: uniqueEmail('emoji'), password: `${emoji}🔑` },
    })
    assertRefused(over, 400, 'invalid_request', 'password')
  })

  test('a common password is refused at signup in any case, naming the field, never echoing it', async () => {
    const before = accountState(t)
    const operations = hashingOperations(t)
    for (const password of ['password123', 'Password123', 'QWERTYUIOP', 'iloveyou1']) {
      const answer = await call(t.url, '/v1/signup', { body: { email: uniqueEmail('common'), password } })
      assertRefused(answer, 400, 'invalid_request', 'password')
      assert.match(String(answer.body.message), /too common/)
      assert.ok(!answer.text.toLowerCase().includes(password.toLowerCase()), 'the password is not echoed')
    }
    assert.equal(hashingOperations(t), operations, 'refused before hashing')
    assertUnchanged(t, before)
  })

  test('a common password is refused as a new password; the old one keeps working', async () => {
    const owner = await signUp(t.url, uniqueEmail('changer'))
    const before = accountState(t)
    const answer = await call(t.url, '/v1/password', {
      body: { current_password: PASSWORD, new_password: 'Sunshine1' },
      headers: { authorization: `Bearer ${owner.accessToken}` },
    })
    assertRefused(answer, 400, 'invalid_request', 'new_password')
    assert.match(String(answer.body.message), /too common/)
    assertUnchanged(t, before)
    assert.equal((await login(t, owner.email, PASSWORD)).status, 200)
  })

  test('emails in NFD, upper case and fullwidth reach the one NFC account', async () => {
    const local = `zo\u00eb-${process.pid}-${Date.now()}`
    const owner = await signUp(t.url, `${local}@example.test`)
    for (const spelling of [
      `${local.normalize('NFD')}@example.test`,
      `${local.toUpperCase()}@EXAMPLE.TEST`,
      toFullwidth(`${local.replace('\u00eb', 'e')}@example.test`).replace('ｅ', '\u00eb'),
    ]) {
      const answer = await login(t, spelling, PASSWORD)
      assert.equal(answer.status, 200, spelling)
      assert.equal((answer.body.user as { id: string }).id, owner.userId, spelling)
    }
  })

  test('the Kelvin sign K folds to k: the same account, not a look-alike second one', async () => {
    const email = uniqueEmail('kelvin')
    const owner = await signUp(t.url, email)
    const answer = await login(t, email.replace('k', '\u212a'), PASSWORD)
    assert.equal(answer.status, 200)
    assert.equal((answer.body.user as { id: string }).id, owner.userId)
    const duplicate = await call(t.url, '/v1/signup', {
      body: { email: email.replace('k', '\u212a'), password: PASSWORD },
    })
    assertRefused(duplicate, 409, 'invalid_request', 'email')
  })

  test('dotless ı is a different address: it does not sign in to the i account', async () => {
    const email = uniqueEmail('kit')
    await signUp(t.url, email)
    const before = accountState(t)
    const dotless = email.replace('i', '\u0131')
    const answer = await login(t, dotless, PASSWORD)
    assertRefused(answer, 401, 'invalid_credentials')
    assert.equal(answer.text, (await login(t, uniqueEmail('nobody'), PASSWORD)).text)
    assertUnchanged(t, before)
  })

  test('capital İ (a dotted i that renders like ASCII i) is refused at signup, and fails login like anyone', async () => {
    const before = accountState(t)
    const email = `\u0130nfo-${process.pid}@example.test`
    const signup = await call(t.url, '/v1/signup', { body: { email, password: PASSWORD } })
    assertRefused(signup, 400, 'invalid_request', 'email')
    const answer = await login(t, email, PASSWORD)
    assertRefused(answer, 401, 'invalid_credentials')
    assertUnchanged(t, before)
  })

  test('passwords are exact: a trailing or leading space, or another case, is a wrong password', async () => {
    const owner = await signUp(t.url, uniqueEmail('exact'), 'Crème brûlée 2024')
    const before = accountState(t)
    for (const variant of [
      'Crème brûlée 2024 ',
      ' Crème brûlée 2024',
      'crème brûlée 2024',
      'CRÈME BRÛLÉE 2024',
    ]) {
      assertRefused(await login(t, owner.email, variant), 401, 'invalid_credentials')
    }
    assertUnchanged(t, before)
  })

  test('passwords are prepared per RFC 8265: NFD input and a no-break space sign in', async () => {
    const owner = await signUp(t.url, uniqueEmail('precis'), 'Crème brûlée 2024')
    assert.equal((await login(t, owner.email, 'Crème brûlée 2024'.normalize('NFD'))).status, 200)
    assert.equal((await login(t, owner.email, 'Crème\u00a0brûlée\u00a02024')).status, 200)
  })
})

describe('login abuse: existing accounts with a common password', () => {
  test('still sign in and can change the password once rejectCommon is switched on', async () => {
    const lenient = await startTestServer({ env: { TESSERA_PASSWORDS_REJECT_COMMON: 'false' } })
    const email = uniqueEmail('legacy')
    try {
      assert.equal(
        (await call(lenient.url, '/v1/signup', { body: { email, password: 'letmein123' } })).status,
        201,
      )
    } finally {
      await lenient.close({ keepData: true })
    }
    const strict = await startTestServer({ dataDir: lenient.dataDir })
    try {
      const signedIn = await login(strict, email, 'letmein123')
      assert.equal(signedIn.status, 200, 'login never checks the list')
      const changed = await call(strict.url, '/v1/password', {
        body: { current_password: 'letmein123', new_password: PASSWORD },
        headers: { authorization: `Bearer ${String(signedIn.body.access_token)}` },
      })
      assert.equal(changed.status, 204, changed.text)
      assert.equal((await login(strict, email, PASSWORD)).status, 200)
    } finally {
      await strict.close()
    }
  })
})

describe('login abuse: brute force from an untrusted peer rotating X-Forwarded-For', () => {
  let t: TestServer
  before(async () => {
    t = await startTestServer({
      env: {
        TESSERA_THROTTLE_LOGIN_PER_ACCOUNT_LIMIT: '3',
        TESSERA_THROTTLE_LOGIN_PER_IP_LIMIT: '6',
      },
    })
  })
  after(() => t.close())
  // Every bucket drains between cases (windows are 900 s); the manual clock moves, nobody sleeps.
  beforeEach(() => t.clock.advance(1000))

  test('per account: the fourth guess is refused whatever the header says, even with the right password', async () => {
    const victim = await signUp(t.url, uniqueEmail('victim'))
    const before = accountState(t)
    for (let i = 0; i < 3; i += 1) {
      const answer = await login(t, victim.email, WRONG, { 'x-forwarded-for': `198.51.100.${i}` })
      assertRefused(answer, 401, 'invalid_credentials')
    }
    assertThrottled(await login(t, victim.email, WRONG, { 'x-forwarded-for': '198.51.100.50' }), 300)
    assertThrottled(await login(t, victim.email, PASSWORD, { 'x-forwarded-for': '203.0.113.77' }))
    assertUnchanged(t, before)
  })

  test('a concurrent burst at one account: only three guesses reach the hasher, the rest are 429', async () => {
    const victim = await signUp(t.url, uniqueEmail('burst'))
    const operations = hashingOperations(t)
    const answers = await Promise.all(Array.from({ length: 6 }, () => login(t, victim.email, WRONG)))
    assert.deepEqual(answers.map((answer) => answer.status).sort(), [401, 401, 401, 429, 429, 429])
    for (const answer of answers.filter((a) => a.status === 429)) assertThrottled(answer)
    assert.equal(
      hashingOperations(t) - operations,
      3,
      'checking first and counting later let all six through',
    )
  })

  test('per socket IP: six guesses at six accounts, then the seventh is refused', async () => {
    const before = accountState(t)
    for (let i = 0; i < 6; i += 1) {
      const answer = await login(t, uniqueEmail('spray'), WRONG, { 'x-forwarded-for': `198.51.100.${i}` })
      assertRefused(answer, 401, 'invalid_credentials')
    }
    assertThrottled(await login(t, uniqueEmail('spray'), WRONG, { 'x-forwarded-for': '192.0.2.1' }))
    assertUnchanged(t, before)
  })

  test('never locked for good: after Retry-After the owner signs in', async () => {
    const victim = await signUp(t.url, uniqueEmail('patient'))
    for (let i = 0; i < 3; i += 1) await login(t, victim.email, WRONG)
    const refused = await login(t, victim.email, PASSWORD)
    assertThrottled(refused, 300)
    t.clock.advance(300)
    assert.equal((await login(t, victim.email, PASSWORD)).status, 200)
  })
})

describe('login abuse: behind a trusted proxy, and credential stuffing', () => {
  let t: TestServer
  let known: { email: string; deviceCookie: string }
  before(async () => {
    t = await startTestServer({
      env: {
        TESSERA_TRUSTED_PROXIES: '127.0.0.1',
        TESSERA_THROTTLE_LOGIN_PER_ACCOUNT_LIMIT: '3',
        TESSERA_THROTTLE_LOGIN_PER_IP_LIMIT: '4',
        TESSERA_THROTTLE_LOGIN_FAILURES_GLOBAL_LIMIT: '8',
        TESSERA_THROTTLE_LOGIN_FAILURES_GLOBAL_WINDOW_SECONDS: '80',
      },
    })
    const email = uniqueEmail('known')
    const signup = await call(t.url, '/v1/signup', {
      body: { email, password: PASSWORD },
      headers: { origin: TEST_ORIGIN },
    })
    const deviceCookie = setCookieValue(signup, DEVICE_COOKIE)
    assert.ok(deviceCookie, 'a browser sign-up leaves a device cookie')
    known = { email, deviceCookie }
  })
  after(() => t.close())
  beforeEach(() => t.clock.advance(1000))

  test('each forwarded address has its own IP bucket: five addresses, five guesses, none refused', async () => {
    for (let i = 0; i < 5; i += 1) {
      const answer = await login(t, uniqueEmail('spread'), WRONG, { 'x-forwarded-for': `198.51.100.${i}` })
      assertRefused(answer, 401, 'invalid_credentials')
    }
  })

  test('one forwarded address is throttled on its own, whatever the accounts', async () => {
    const headers = { 'x-forwarded-for': '198.51.100.200' }
    for (let i = 0; i < 4; i += 1) {
      assertRefused(await login(t, uniqueEmail('same-ip'), WRONG, headers), 401, 'invalid_credentials')
    }
    assertThrottled(await login(t, uniqueEmail('same-ip'), WRONG, headers))
    const other = await login(t, uniqueEmail('same-ip'), WRONG, { 'x-forwarded-for': '198.51.100.201' })
    assertRefused(other, 401, 'invalid_credentials')
  })

  test('rotating forwarded addresses at one account still hits the per-account limit', async () => {
    const victim = await signUp(t.url, uniqueEmail('proxied-victim'))
    const before = accountState(t)
    for (let i = 0; i < 3; i += 1) {
      await login(t, victim.email, WRONG, { 'x-forwarded-for': `203.0.113.${i}` })
    }
    assertThrottled(await login(t, victim.email, PASSWORD, { 'x-forwarded-for': '203.0.113.99' }), 300)
    assertUnchanged(t, before)
  })

  test('stuffing across many accounts and addresses trips the global breaker: 429 with Retry-After', async () => {
    const victim = await signUp(t.url, uniqueEmail('stuffed'))
    const before = accountState(t)
    for (let i = 0; i < 8; i += 1) {
      const answer = await login(t, uniqueEmail('stuffing'), WRONG, { 'x-forwarded-for': `192.0.2.${i}` })
      assertRefused(answer, 401, 'invalid_credentials')
    }
    assertThrottled(await login(t, uniqueEmail('stuffing'), WRONG, { 'x-forwarded-for': '192.0.2.100' }), 10)
    const honest = await login(t, victim.email, PASSWORD, { 'x-forwarded-for': '192.0.2.101' })
    assertThrottled(honest)
    assertUnchanged(t, before)
    const metrics = await fetch(`${t.url}/metrics`).then((response) => response.text())
    assert.match(metrics, /tessera_throttled_requests_total\{rule="login_global"\} [1-9]/)
  })

  test('while the breaker is open, a browser with its device cookie still signs in', async () => {
    for (let i = 0; i < 8; i += 1) {
      await login(t, uniqueEmail('stuffing'), WRONG, { 'x-forwarded-for': `192.0.2.${i}` })
    }
    assertThrottled(await login(t, known.email, PASSWORD, { 'x-forwarded-for': '192.0.2.150' }))
    const sessions = accountState(t).sessions
    const answer = await login(t, known.email, PASSWORD, {
      origin: TEST_ORIGIN,
      cookie: `${DEVICE_COOKIE}=${known.deviceCookie}`,
      'x-forwarded-for': '192.0.2.151',
    })
    assert.equal(answer.status, 200, answer.text)
    assert.equal(accountState(t).sessions, sessions + 1)
    known = { ...known, deviceCookie: setCookieValue(answer, DEVICE_COOKIE) ?? known.deviceCookie }
  })
})

describe('login abuse: lockout as a weapon (device cookies)', () => {
  let t: TestServer
  let victim: { email: string; userId: string; deviceCookie: string }
  before(async () => {
    t = await startTestServer({ env: { TESSERA_THROTTLE_LOGIN_PER_ACCOUNT_LIMIT: '3' } })
    const account = await signUp(t.url, uniqueEmail('weapon-victim'))
    const browserLogin = await login(t, account.email, PASSWORD, { origin: TEST_ORIGIN })
    assert.equal(browserLogin.status, 200)
    const deviceCookie = setCookieValue(browserLogin, DEVICE_COOKIE)
    assert.ok(deviceCookie)
    victim = { email: account.email, userId: account.userId, deviceCookie }
  })
  after(() => t.close())
  beforeEach(() => t.clock.advance(1000))

  /** The attacker fails three times from elsewhere; the shared bucket is then empty. */
  async function drainVictimAccount(): Promise<void> {
    for (let i = 0; i < 3; i += 1)
      assertRefused(await login(t, victim.email, WRONG), 401, 'invalid_credentials')
    assertThrottled(await login(t, victim.email, WRONG))
  }

  function asVictimBrowser(deviceCookie = victim.deviceCookie): Record<string, string> {
    return { origin: TEST_ORIGIN, cookie: `${DEVICE_COOKIE}=${deviceCookie}` }
  }

  test("the victim's own browser signs in while the attacker is throttled, and the attacker stays throttled", async () => {
    await drainVictimAccount()
    const answer = await login(t, victim.email, PASSWORD, asVictimBrowser())
    assert.equal(answer.status, 200, answer.text)
    assert.equal((answer.body.user as { id: string }).id, victim.userId)
    assertThrottled(await login(t, victim.email, WRONG))
  })

  test('without the device cookie (a native client, a new browser) the victim waits like the attacker', async () => {
    await drainVictimAccount()
    const before = accountState(t)
    assertThrottled(await login(t, victim.email, PASSWORD))
    assertThrottled(await login(t, victim.email, PASSWORD, { origin: TEST_ORIGIN }))
    assertUnchanged(t, before)
  })

  test("the attacker's own device cookie, for the attacker's account, buys nothing on the victim's", async () => {
    const attacker = uniqueEmail('weapon-attacker')
    const own = await call(t.url, '/v1/signup', {
      body: { email: attacker, password: PASSWORD },
      headers: { origin: TEST_ORIGIN },
    })
    const attackerCookie = setCookieValue(own, DEVICE_COOKIE)
    assert.ok(attackerCookie)
    await drainVictimAccount()
    const before = accountState(t)
    assertThrottled(await login(t, victim.email, WRONG, asVictimBrowser(attackerCookie)))
    assertUnchanged(t, before)
  })

  test('a tampered device cookie is no device cookie', async () => {
    await drainVictimAccount()
    const before = accountState(t)
    const parts = victim.deviceCookie.split('.')
    parts[2] = `${parts[2]?.slice(0, -1)}${parts[2]?.endsWith('A') ? 'Q' : 'A'}`
    assertThrottled(await login(t, victim.email, PASSWORD, asVictimBrowser(parts.join('.'))))
    assertUnchanged(t, before)
  })

  test('the device has its own limit: three wrong passwords from it, then it waits too', async () => {
    for (let i = 0; i < 3; i += 1) {
      assertRefused(await login(t, victim.email, WRONG, asVictimBrowser()), 401, 'invalid_credentials')
    }
    const before = accountState(t)
    assertThrottled(await login(t, victim.email, PASSWORD, asVictimBrowser()), 300)
    assertUnchanged(t, before)
    const metrics = await fetch(`${t.url}/metrics`).then((response) => response.text())
    assert.match(metrics, /tessera_throttled_requests_total\{rule="login_per_device"\} [1-9]/)
  })

  test('a device cookie older than 180 days is no device cookie', async () => {
    t.clock.advance(180 * 86_400)
    await drainVictimAccount()
    const before = accountState(t)
    assertThrottled(await login(t, victim.email, PASSWORD, asVictimBrowser()))
    assertUnchanged(t, before)
  })
})

describe('login abuse: a hashing flood', () => {
  test('200 concurrent logins: only 200, 401, 429 or 503 with Retry-After, and the server answers after', async () => {
    const t = await startTestServer({
      env: {
        TESSERA_THROTTLE_LOGIN_PER_ACCOUNT_LIMIT: '100000',
        TESSERA_THROTTLE_LOGIN_PER_IP_LIMIT: '100000',
        TESSERA_PASSWORDS_HASH_QUEUE_LIMIT: '16',
      },
    })
    try {
      const users: Awaited<ReturnType<typeof signUp>>[] = []
      for (let i = 0; i < 20; i += 1) users.push(await signUp(t.url, uniqueEmail('flood')))
      const before = accountState(t)
      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, i) => {
          const target = users[i % users.length] as Awaited<ReturnType<typeof signUp>>
          return login(t, target.email, i % 2 === 0 ? PASSWORD : WRONG)
        }),
      )
      const statuses = new Set(answers.map((answer) => answer.status))
      assert.deepEqual(
        [...statuses].filter((status) => ![200, 401, 429, 503].includes(status)),
        [],
      )
      assert.ok(statuses.has(503), 'the bounded hash queue shed some of the load')
      for (const answer of answers.filter((a) => a.status === 429 || a.status === 503)) {
        assert.equal(answer.body.reason, 'rate_limited')
        assert.ok(Number(answer.headers.get('retry-after')) >= 1)
      }
      const successes = answers.filter((answer) => answer.status === 200).length
      assert.equal(accountState(t).sessions, before.sessions + successes, 'one session per 200, no more')
      assert.equal((await call(t.url, '/healthz')).status, 200)
      assert.equal((await login(t, users[0]?.email ?? '', PASSWORD)).status, 200)
    } finally {
      await t.close()
    }
  })
})
