import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { readAccessTokenTimes, refreshDelayMs } from './access-token-timing.ts'
import { resolveClientOptions } from './client-options.ts'
import { platformTimers } from './timers.ts'

function tokenWith(payload: unknown): string {
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${encode({ alg: 'EdDSA', typ: 'at+jwt' })}.${encode(payload)}.c2lnbmF0dXJl`
}

describe('access-token timing', () => {
  test('reads exp and iat from the payload without verifying it', () => {
    assert.deepEqual(
      readAccessTokenTimes(tokenWith({ exp: 1_700_000_900, iat: 1_700_000_000, name: 'Zoë' })),
      {
        expiresAt: 1_700_000_900,
        issuedAt: 1_700_000_000,
      },
    )
    assert.deepEqual(readAccessTokenTimes(tokenWith({ exp: 1_700_000_900 })), {
      expiresAt: 1_700_000_900,
      issuedAt: undefined,
    })
  })

  test('anything unreadable gives undefined', () => {
    for (const token of [
      'not-a-token',
      'a.b',
      'a.b.c.d',
      `x.${Buffer.from('{"exp":').toString('base64url')}.y`,
      tokenWith({ exp: '1700000900' }),
      tokenWith({ exp: -5 }),
      tokenWith([1, 2]),
      'a.++++.c',
    ]) {
      assert.equal(readAccessTokenTimes(token), undefined, token)
    }
  })

  test('the delay is lifetime minus leeway, measured from arrival, not from this machine’s clock', () => {
    const times = { expiresAt: 1_700_000_900, issuedAt: 1_700_000_000 }
    // The browser's clock is an hour ahead or behind: the delay does not change.
    for (const nowSeconds of [1_700_000_000, 1_700_003_600, 1_699_996_400]) {
      assert.equal(refreshDelayMs(times, { leewaySeconds: 30, nowSeconds }), 870_000)
    }
  })

  test('the leeway is capped at half the lifetime, and the delay is bounded to [1 s, 24 h]', () => {
    const short = { expiresAt: 1_000_040, issuedAt: 1_000_000 }
    assert.equal(refreshDelayMs(short, { leewaySeconds: 30, nowSeconds: 1_000_000 }), 20_000)
    const instant = { expiresAt: 1_000_000, issuedAt: 1_000_000 }
    assert.equal(refreshDelayMs(instant, { leewaySeconds: 30, nowSeconds: 1_000_000 }), 1000)
    const backwards = { expiresAt: 999_000, issuedAt: 1_000_000 }
    assert.equal(refreshDelayMs(backwards, { leewaySeconds: 30, nowSeconds: 1_000_000 }), 1000)
    const year = { expiresAt: 1_000_000 + 365 * 86_400, issuedAt: 1_000_000 }
    assert.equal(refreshDelayMs(year, { leewaySeconds: 30, nowSeconds: 1_000_000 }), 86_400_000)
    const noIat = { expiresAt: 1_000_600, issuedAt: undefined }
    assert.equal(refreshDelayMs(noIat, { leewaySeconds: 30, nowSeconds: 1_000_000 }), 570_000)
  })

  test('platform timers are unref’ed in Node, so a pending refresh never keeps a process alive', () => {
    const handle = platformTimers.setTimeout(() => {}, 60_000) as NodeJS.Timeout
    assert.equal(handle.hasRef(), false)
    platformTimers.clearTimeout(handle)
  })
})

describe('client options', () => {
  test('defaults: token mode without a document, trailing slash dropped, 30 s leeway', () => {
    const resolved = resolveClientOptions({ issuer: 'https://auth.example.test/' })
    assert.equal(resolved.issuer, 'https://auth.example.test')
    assert.equal(resolved.issuerOrigin, 'https://auth.example.test')
    assert.equal(resolved.mode, 'token')
    assert.equal(resolved.leewaySeconds, 30)
    assert.equal(resolved.locks, undefined, 'token mode never coordinates tabs')
    assert.equal(resolved.openChannel, undefined)
  })

  test('refuses what cannot work, including any storage', () => {
    const bad: unknown[] = [
      { issuer: 'auth.example.test' },
      { issuer: 'ftp://auth.example.test' },
      { issuer: 'https://auth.example.test/?x=1' },
      { issuer: 'https://auth.example.test', refreshLeewaySeconds: -1 },
      { issuer: 'https://auth.example.test', mode: 'session' },
      { issuer: 'https://auth.example.test', storage: { getItem: () => null } },
    ]
    for (const options of bad) {
      assert.throws(() => resolveClientOptions(options as never), /tessera:/, JSON.stringify(options))
    }
  })
})
