import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { createManualClock, type ManualClock, signAccessToken, verifyAccessToken } from '@tessera/core'
import type { Store } from '../store/ports.ts'
import { openSqliteStore } from '../store/sqlite/open-sqlite-store.ts'
import { KeyRing, type KeyRingOptions, KeyRotationTooSoonError } from './key-ring.ts'

const DAY = 86_400

describe('key ring', () => {
  let dir: string
  let store: Store
  let clock: ManualClock
  const encryptionKey = randomBytes(32)

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-ring-'))
    store = await openSqliteStore({ file: join(dir, 'ring.db') })
    clock = createManualClock(1_800_000_000)
  })
  afterEach(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  function ring(overrides: Partial<KeyRingOptions> = {}): KeyRing {
    return new KeyRing({
      keys: store.signingKeys,
      clock,
      encryptionKey,
      algorithm: 'EdDSA',
      rotationSeconds: 30 * DAY,
      jwksCacheSeconds: 300,
      retiredRetentionSeconds: 1200,
      ...overrides,
    })
  }

  function stateOf(
    kid: string,
    keys: Awaited<ReturnType<Store['signingKeys']['listAll']>>,
  ): string | undefined {
    return keys.find((k) => k.kid === kid)?.state
  }

  test('first start creates a current and a next key; the JWKS publishes both without private members', async () => {
    const r = ring()
    await r.initialize()
    const keys = await store.signingKeys.listAll()
    assert.deepEqual(keys.map((k) => k.state).sort(), ['current', 'next'])
    const jwks = r.jwks().keys
    assert.equal(jwks.length, 2)
    for (const jwk of jwks) {
      assert.equal((jwk as unknown as Record<string, unknown>).d, undefined)
      assert.equal(jwk.alg, 'EdDSA')
      assert.equal(jwk.use, 'sig')
    }
    assert.equal(stateOf(r.signingKey.kid, keys), 'current')
  })

  test('instances starting together agree on one ring', async () => {
    const rings = [ring(), ring(), ring(), ring()]
    await Promise.all(rings.map((r) => r.initialize()))
    const keys = await store.signingKeys.listAll()
    assert.equal(keys.length, 2)
    assert.equal(new Set(rings.map((r) => r.signingKey.kid)).size, 1)
  })

  test('rotate: next becomes current, the old current is retired but still published, a new next appears', async () => {
    const a = ring()
    await a.initialize()
    const before = await store.signingKeys.listAll()
    const oldCurrent = a.signingKey.kid
    const oldNext = before.find((k) => k.state === 'next')?.kid as string
    const token = signAccessToken(
      {
        iss: 'i',
        sub: 's',
        aud: 'a',
        exp: clock.nowSeconds() + 600,
        iat: clock.nowSeconds(),
        jti: 'j',
        client_id: 'c',
      },
      a.signingKey,
    )
    await assert.rejects(a.rotate(), KeyRotationTooSoonError, 'next was published just now')
    clock.advance(300)
    const rotated = await a.rotate()
    assert.equal(rotated.current, oldNext)
    assert.equal(a.signingKey.kid, oldNext)
    const after = await store.signingKeys.listAll()
    assert.equal(stateOf(oldCurrent, after), 'retired')
    assert.equal(stateOf(rotated.next as string, after), 'next')
    assert.equal(a.jwks().keys.length, 3)
    const claims = verifyAccessToken(token, {
      keys: (header) => a.resolve(header.kid),
      issuer: 'i',
      audience: 'a',
      maxLifetimeSeconds: 900,
      clock,
    })
    assert.equal(claims.sub, 's', 'a token signed before rotation still verifies')

    clock.advance(1201)
    await a.rotateIfDue()
    assert.equal(
      a.jwks().keys.some((k) => k.kid === oldCurrent),
      false,
      'the retired key leaves the JWKS once its last token has expired',
    )
  })

  test('another instance sees a rotation after reload', async () => {
    const a = ring()
    const b = ring()
    await a.initialize()
    await b.initialize()
    const { current } = await a.rotate({ force: true })
    assert.notEqual(b.signingKey.kid, current)
    assert.ok(b.resolve(current), 'B can already verify with the promoted key: it was published as next')
    await b.reload()
    assert.equal(b.signingKey.kid, current)
  })

  test('withdraw: a next key is replaced, a retired key leaves the JWKS now, the current key is refused', async () => {
    let changes = 0
    const r = ring({ onChange: () => changes++ })
    await r.initialize()
    const signer = r.signingKey.kid
    const published = (): string[] => r.jwks().keys.map((k) => k.kid)
    const nextKid = (await store.signingKeys.listAll()).find((k) => k.state === 'next')?.kid as string
    changes = 0

    assert.equal(await r.withdraw(signer), false, 'the ring never loses its signer')
    assert.equal(await r.withdraw(nextKid), true)
    const replacement = (await store.signingKeys.listAll()).find((k) => k.state === 'next')?.kid
    assert.ok(replacement !== undefined && replacement !== nextKid, 'a new next key is published')
    assert.deepEqual(published().sort(), [signer, replacement].sort())

    clock.advance(300)
    await r.rotate()
    assert.ok(published().includes(signer), 'retired, still published for its tokens')
    assert.equal(await r.withdraw(signer), true)
    assert.equal(published().includes(signer), false)
    assert.equal(r.resolve(signer), undefined, 'its tokens now fail with unknown_key')
    assert.equal(await r.withdraw(signer), false, 'already withdrawn')
    assert.equal(changes, 3, 'two withdrawals and the rotation were announced')
  })

  test('rotateIfDue waits for the period and for the next key to have been published for the cache time', async () => {
    const r = ring({ rotationSeconds: 10 * DAY, jwksCacheSeconds: 3600 })
    await r.initialize()
    const first = r.signingKey.kid
    clock.advance(9 * DAY)
    assert.equal(await r.rotateIfDue(), false, 'not due yet')
    clock.advance(DAY)
    assert.equal(await r.rotateIfDue(), true)
    assert.notEqual(r.signingKey.kid, first)
    const second = r.signingKey.kid
    clock.advance(10 * DAY)
    await r.rotate() // an on-demand rotation (next is old enough) publishes a brand-new next key
    const third = r.signingKey.kid
    assert.notEqual(third, second)
    clock.advance(10 * DAY - 1)
    assert.equal(await r.rotateIfDue(), false)
  })

  test('a wrong server secret cannot decrypt the ring: startup fails, no key is replaced', async () => {
    await ring().initialize()
    const before = await store.signingKeys.listAll()
    await assert.rejects(ring({ encryptionKey: randomBytes(32) }).initialize(), /secret/i)
    assert.deepEqual(await store.signingKeys.listAll(), before)
  })

  test('ES256 rings sign ES256 tokens', async () => {
    const r = ring({ algorithm: 'ES256' })
    await r.initialize()
    assert.equal(r.signingKey.alg, 'ES256')
    assert.equal(r.jwks().keys[0]?.crv, 'P-256')
  })
})
