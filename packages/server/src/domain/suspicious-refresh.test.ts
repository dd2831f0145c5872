import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { createManualClock, cryptoRandom } from '@tessera/core'
import { openSqliteStore } from '../store/sqlite/open-sqlite-store.ts'
import { newId } from './ids.ts'
import { KeyRing } from './key-ring.ts'
import { refreshSession } from './refresh-rotation.ts'
import { RevocationBus, type RevocationEvent } from './revocation-bus.ts'
import type { SecurityEventInput } from './security-event-types.ts'
import { type ClientContext, type SessionDeps, startSession } from './sessions.ts'
import {
  detectUseChange,
  networkOf,
  type SuspiciousRefreshMode,
  summarizeUserAgent,
} from './suspicious-refresh.ts'
import { createTokenIssuer } from './token-issuer.ts'

const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'
const FIREFOX_LINUX_NEWER = 'Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0'
const CHROME_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36'
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'
const EDGE_WINDOWS = `${CHROME_WINDOWS} Edg/126.0.0.0`
const CHROME_ANDROID =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36'

describe('networkOf', () => {
  test('IPv4 /24, IPv6 /48, IPv4-mapped IPv6 as IPv4', () => {
    assert.equal(networkOf('203.0.113.77'), '203.0.113.0/24')
    assert.equal(networkOf('2001:db8:1234:5::1'), '2001:db8:1234::/48')
    assert.equal(networkOf('2001:0DB8:0000:ffff:0:0:0:1'), '2001:db8:0::/48')
    assert.equal(networkOf('::1'), '0:0:0::/48')
    assert.equal(networkOf('::ffff:198.51.100.9'), '198.51.100.0/24')
    assert.equal(networkOf('64:ff9b::192.0.2.1'), '64:ff9b:0::/48')
    assert.equal(networkOf('fe80::1%eth0'), 'fe80:0:0::/48')
  })

  test('no or unparseable address: null', () => {
    for (const ip of [null, '', 'localhost', '256.1.1.1', '1.2.3', '2001:db8::1::2', '::ffff:1.2.3.999']) {
      assert.equal(networkOf(ip), null, String(ip))
    }
  })
})

describe('summarizeUserAgent', () => {
  test('browser family and system, without versions', () => {
    assert.equal(summarizeUserAgent(FIREFOX_LINUX), 'Firefox/Linux')
    assert.equal(summarizeUserAgent(FIREFOX_LINUX_NEWER), 'Firefox/Linux', 'an update is not a new client')
    assert.equal(summarizeUserAgent(CHROME_WINDOWS), 'Chrome/Windows')
    assert.equal(summarizeUserAgent(EDGE_WINDOWS), 'Edge/Windows')
    assert.equal(summarizeUserAgent(SAFARI_IPHONE), 'Safari/iOS')
    assert.equal(summarizeUserAgent(CHROME_ANDROID), 'Chrome/Android')
  })

  test('other clients by their first product token; nothing for no user agent', () => {
    assert.equal(summarizeUserAgent('okhttp/4.12.0'), 'okhttp/unknown')
    assert.equal(summarizeUserAgent('OrdersApp/2.1 (Android 14)'), 'OrdersApp/Android')
    assert.equal(summarizeUserAgent('  '), null)
    assert.equal(summarizeUserAgent(null), null)
    assert.equal(summarizeUserAgent('((('), 'unknown/unknown')
  })
})

describe('detectUseChange', () => {
  const home = { ip: '198.51.100.4', userAgent: FIREFOX_LINUX }
  test('same /24 and same browser after an update: no change', () => {
    assert.equal(detectUseChange(home, { ip: '198.51.100.200', userAgent: FIREFOX_LINUX_NEWER }), undefined)
  })
  test('another network, another client, or both', () => {
    assert.deepEqual(detectUseChange(home, { ip: '203.0.113.9', userAgent: FIREFOX_LINUX }), {
      changed: 'network',
      previous_network: '198.51.100.0/24',
      current_network: '203.0.113.0/24',
      previous_client: 'Firefox/Linux',
      current_client: 'Firefox/Linux',
    })
    assert.equal(detectUseChange(home, { ip: home.ip, userAgent: CHROME_WINDOWS })?.changed, 'user_agent')
    assert.equal(
      detectUseChange(home, { ip: '2001:db8::1', userAgent: CHROME_WINDOWS })?.changed,
      'network_and_user_agent',
    )
  })
  test('a side without address or user agent says nothing about that signal', () => {
    assert.equal(
      detectUseChange({ ip: null, userAgent: null }, { ip: '203.0.113.9', userAgent: FIREFOX_LINUX }),
      undefined,
    )
    assert.equal(detectUseChange(home, { ip: null, userAgent: null }), undefined)
  })
})

/** A session started from `home`, refreshed from `away`, under `mode`; what the refresh and record say. */
async function refreshFromElsewhere(
  mode: SuspiciousRefreshMode,
  away: Pick<ClientContext, 'ip' | 'userAgent'>,
): Promise<{
  outcome: Awaited<ReturnType<typeof refreshSession>>
  recorded: SecurityEventInput[]
  revocations: RevocationEvent[]
  sessionState: string | undefined
}> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-suspicious-'))
  const store = await openSqliteStore({ file: join(dir, 'db.sqlite') })
  try {
    const clock = createManualClock(1_800_000_000)
    const ring = new KeyRing({
      keys: store.signingKeys,
      clock,
      encryptionKey: randomBytes(32),
      algorithm: 'EdDSA',
      rotationSeconds: 86_400,
      jwksCacheSeconds: 60,
      retiredRetentionSeconds: 1000,
    })
    await ring.initialize()
    const bus = new RevocationBus()
    const revocations: RevocationEvent[] = []
    bus.subscribe((event) => revocations.push(event))
    const recorded: SecurityEventInput[] = []
    const deps: SessionDeps = {
      store,
      clock,
      random: cryptoRandom,
      tokens: createTokenIssuer({
        ring,
        clock,
        random: cryptoRandom,
        issuer: 'http://issuer',
        audiences: [],
        ttlSeconds: 900,
        defaultScopes: [],
      }),
      refreshKeys: { tagKey: randomBytes(32), rotationKey: randomBytes(32) },
      policy: { idleSeconds: 3600, absoluteSeconds: 7200, graceSeconds: 10 },
      revocations: bus,
      securityRecord: { record: async (event) => void recorded.push(event) },
      suspiciousRefresh: mode,
    }
    const created = await store.users.create({
      id: newId('usr'),
      email: 'a@example.test',
      name: null,
      passwordHash: null,
      createdAt: clock.nowSeconds(),
    })
    assert.ok(created.ok)
    const home: ClientContext = {
      clientId: 'tessera',
      ip: '198.51.100.4',
      userAgent: FIREFOX_LINUX,
      bindFingerprint: false,
    }
    const issued = await startSession(deps, created.user, home)
    clock.advance(60)
    const outcome = await refreshSession(deps, issued.refreshToken, { ...home, ...away })
    const sessionState = (await store.sessions.findById(issued.session.id))?.state
    return { outcome, recorded, revocations, sessionState }
  } finally {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('suspicious refresh through refreshSession', () => {
  const away = { ip: '203.0.113.9', userAgent: CHROME_WINDOWS }

  test('allow: refreshes and records nothing', async () => {
    const { outcome, recorded, sessionState } = await refreshFromElsewhere('allow', away)
    assert.equal(outcome.ok, true)
    assert.deepEqual(recorded, [])
    assert.equal(sessionState, 'active')
  })

  test('report: refreshes and records the change, with networks and client summaries only', async () => {
    const { outcome, recorded, sessionState } = await refreshFromElsewhere('report', away)
    assert.equal(outcome.ok, true)
    assert.equal(sessionState, 'active')
    assert.equal(recorded.length, 1)
    const [event] = recorded
    assert.equal(event?.type, 'suspicious_refresh')
    assert.deepEqual(event?.details, {
      action: 'reported',
      changed: 'network_and_user_agent',
      previous_network: '198.51.100.0/24',
      current_network: '203.0.113.0/24',
      previous_client: 'Firefox/Linux',
      current_client: 'Chrome/Windows',
    })
    assert.equal(event?.ip, '203.0.113.9')
  })

  test('report: the same network and browser records nothing', async () => {
    const { outcome, recorded } = await refreshFromElsewhere('report', {
      ip: '198.51.100.99',
      userAgent: FIREFOX_LINUX_NEWER,
    })
    assert.equal(outcome.ok, true)
    assert.deepEqual(recorded, [])
  })

  test('revoke: refuses with session_revoked, ends the session, tells the guards, records both events', async () => {
    const { outcome, recorded, revocations, sessionState } = await refreshFromElsewhere('revoke', away)
    assert.deepEqual(outcome, { ok: false, reason: 'session_revoked' })
    assert.equal(sessionState, 'revoked')
    assert.equal(revocations.filter((event) => event.type === 'session_revoked').length, 1)
    assert.deepEqual(
      recorded.map((event) => [event.type, event.details]),
      [
        [
          'suspicious_refresh',
          {
            action: 'revoked',
            changed: 'network_and_user_agent',
            previous_network: '198.51.100.0/24',
            current_network: '203.0.113.0/24',
            previous_client: 'Firefox/Linux',
            current_client: 'Chrome/Windows',
          },
        ],
        ['session_revoked', { cause: 'suspicious_refresh' }],
      ],
    )
  })
})
