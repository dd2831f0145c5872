import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createManualClock } from '@tessera/core'
import { createDeviceCookies } from './device-cookie.ts'
import { newId } from './ids.ts'
import { createLoginThrottle, type LoginAdmission, type LoginThrottleRules } from './login-throttle.ts'
import { createMemoryThrottle } from './throttle-memory.ts'

const START_AT = 1_700_000_000
const VICTIM = 'victim@example.com'
const victimId = newId('usr')
const attackerId = newId('usr')

function setup(rules: Partial<LoginThrottleRules> = {}) {
  const clock = createManualClock(START_AT)
  const devices = createDeviceCookies({ key: Buffer.alloc(32, 1), clock })
  const users = new Map([
    [VICTIM, victimId],
    ['attacker@example.com', attackerId],
  ])
  let lookups = 0
  const login = createLoginThrottle({
    throttle: createMemoryThrottle({ clock }),
    rules: {
      perIp: { limit: 1000, windowSeconds: 900 },
      perAccount: { limit: 3, windowSeconds: 900 },
      globalFailures: { limit: 1000, windowSeconds: 900 },
      ...rules,
    },
    devices,
    findUserIdByEmail: async (email) => {
      lookups += 1
      return users.get(email)
    },
  })
  return { clock, devices, login, lookups: () => lookups }
}

/** One attempt that fails its password check, as the route runs it. */
async function fail(
  login: ReturnType<typeof setup>['login'],
  attempt: { ip?: string; email?: string; deviceCookie?: string },
): Promise<LoginAdmission> {
  const admission = await login.admit({
    ip: attempt.ip ?? '203.0.113.1',
    email: attempt.email ?? VICTIM,
    deviceCookie: attempt.deviceCookie,
  })
  if (admission.ok) await login.recordFailure(admission.ticket)
  return admission
}

function refusedBy(admission: LoginAdmission): string {
  return admission.ok ? 'admitted' : admission.rule
}

describe('login throttle: per account and per IP', () => {
  test('the account bucket empties after `limit` failures whatever the IP, and refills with time', async () => {
    const { clock, login } = setup()
    for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
      assert.equal(refusedBy(await fail(login, { ip })), 'admitted')
    }
    const refused = await fail(login, { ip: '198.51.100.4', email: '  VICTIM@Example.COM ' })
    assert.equal(refusedBy(refused), 'login_per_account')
    assert.equal(refused.ok ? 0 : refused.retryAfterSeconds, 300)
    clock.advance(300)
    assert.equal(refusedBy(await fail(login, {})), 'admitted', 'never locked for good')
  })

  test('a success resets the account bucket', async () => {
    const { login } = setup()
    await fail(login, {})
    await fail(login, {})
    const admission = await login.admit({ ip: '203.0.113.1', email: VICTIM, deviceCookie: undefined })
    assert.ok(admission.ok)
    await login.recordSuccess(admission.ticket)
    for (let i = 0; i < 3; i += 1) assert.equal(refusedBy(await fail(login, {})), 'admitted')
  })

  test('20 concurrent guesses at one account: exactly `limit` reach the password check', async () => {
    const { login } = setup()
    const admissions = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        login.admit({ ip: `198.51.100.${i}`, email: VICTIM, deviceCookie: undefined }),
      ),
    )
    assert.equal(admissions.filter((admission) => admission.ok).length, 3)
  })

  test('the IP bucket counts every attempt, on any account, before anything else', async () => {
    const { login, lookups } = setup({ perIp: { limit: 2, windowSeconds: 60 } })
    assert.equal(refusedBy(await fail(login, { email: 'a@example.com' })), 'admitted')
    assert.equal(refusedBy(await fail(login, { email: 'b@example.com' })), 'admitted')
    assert.equal(refusedBy(await fail(login, { email: 'c@example.com' })), 'login_per_ip')
    assert.equal(refusedBy(await fail(login, { email: 'c@example.com', ip: '203.0.113.2' })), 'admitted')
    assert.equal(lookups(), 0, 'no store lookup without a device cookie')
  })

  test('a malformed email still has an account bucket', async () => {
    const { login } = setup()
    for (let i = 0; i < 3; i += 1) await fail(login, { email: 'not an email' })
    assert.equal(refusedBy(await fail(login, { email: ' NOT AN EMAIL ' })), 'login_per_account')
  })
})

describe('login throttle: device cookies', () => {
  test("an attacker draining the account cannot keep the victim's own browser out", async () => {
    const { login, devices } = setup()
    const victimCookie = devices.issue(victimId)
    for (let i = 0; i < 5; i += 1) await fail(login, { ip: `198.51.100.${i}` })
    assert.equal(refusedBy(await fail(login, {})), 'login_per_account')
    const admission = await login.admit({ ip: '203.0.113.9', email: VICTIM, deviceCookie: victimCookie })
    assert.ok(admission.ok && admission.ticket.isKnownDevice)
    await login.recordSuccess(admission.ticket)
    assert.equal(
      refusedBy(await fail(login, {})),
      'login_per_account',
      "the victim's success refills nothing else",
    )
  })

  test('the device has its own bucket: it is throttled after its own failures', async () => {
    const { login, devices } = setup()
    const deviceCookie = devices.issue(victimId)
    for (let i = 0; i < 3; i += 1) assert.equal(refusedBy(await fail(login, { deviceCookie })), 'admitted')
    assert.equal(refusedBy(await fail(login, { deviceCookie })), 'login_per_device')
    assert.equal(refusedBy(await fail(login, { deviceCookie: devices.issue(victimId) })), 'admitted')
  })

  test('a cookie of another account, a forged one or an expired one counts on the shared bucket', async () => {
    const { clock, login, devices } = setup()
    const oldVictimCookie = devices.issue(victimId)
    clock.advance(devices.maxAgeSeconds)
    for (let i = 0; i < 3; i += 1) await fail(login, {})
    const forged = devices.issue(victimId).replace(/.$/, (last) => (last === 'A' ? 'B' : 'A'))
    for (const deviceCookie of [devices.issue(attackerId), forged, oldVictimCookie, 'garbage']) {
      assert.equal(refusedBy(await fail(login, { deviceCookie })), 'login_per_account')
    }
  })

  test('a device cookie for an email with no account is worth nothing', async () => {
    const { login, devices } = setup()
    const deviceCookie = devices.issue(newId('usr'))
    for (let i = 0; i < 3; i += 1) await fail(login, { email: 'nobody@example.com' })
    assert.equal(
      refusedBy(await fail(login, { email: 'nobody@example.com', deviceCookie })),
      'login_per_account',
    )
  })
})

describe('login throttle: the global failure breaker', () => {
  test('trips on failures spread over many accounts and IPs; known devices still get in', async () => {
    const { clock, login, devices } = setup({ globalFailures: { limit: 5, windowSeconds: 50 } })
    for (let i = 0; i < 5; i += 1) {
      assert.equal(
        refusedBy(await fail(login, { ip: `198.51.100.${i}`, email: `user${i}@example.com` })),
        'admitted',
      )
    }
    const refused = await fail(login, { ip: '198.51.100.99', email: 'fresh@example.com' })
    assert.equal(refusedBy(refused), 'login_global')
    assert.equal(refused.ok ? 0 : refused.retryAfterSeconds, 10)
    const known = await login.admit({
      ip: '198.51.100.99',
      email: VICTIM,
      deviceCookie: devices.issue(victimId),
    })
    assert.ok(known.ok)
    clock.advance(10)
    assert.equal(refusedBy(await fail(login, { email: 'later@example.com' })), 'admitted')
  })

  test('successes do not count towards it', async () => {
    const { login } = setup({ globalFailures: { limit: 2, windowSeconds: 60 } })
    for (let i = 0; i < 10; i += 1) {
      const admission = await login.admit({
        ip: '203.0.113.1',
        email: `ok${i}@example.com`,
        deviceCookie: undefined,
      })
      assert.ok(admission.ok)
      await login.recordSuccess(admission.ticket)
    }
    assert.equal(refusedBy(await fail(login, {})), 'admitted')
  })
})
