import assert from 'node:assert/strict'
import { generateKeyPairSync, sign } from 'node:crypto'
import { test } from 'node:test'
import { checkDpopKey } from './dpop-key.ts'

function p256(): { jwk: Record<string, string>; signer: (input: Buffer) => Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, string>
  return { jwk, signer: (input) => sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' }) }
}

test('a key seen again (from the import cache) verifies its own signatures and no others', () => {
  const holder = p256()
  const stranger = p256()
  const input = Buffer.from('signing input')
  const first = checkDpopKey({ ...holder.jwk }, 'ES256')
  const again = checkDpopKey({ ...holder.jwk }, 'ES256')
  assert.ok(first.ok && again.ok)
  assert.equal(again.jkt, first.jkt)
  assert.deepEqual(again.jwk, first.jwk)
  assert.equal(again.verify(input, holder.signer(input)), true)
  assert.equal(again.verify(input, stranger.signer(input)), false)
})

test('the cache never lets a key past a check: private members, wrong curve for alg, off-curve points', () => {
  const holder = p256()
  assert.ok(checkDpopKey({ ...holder.jwk }, 'ES256').ok)
  assert.equal(checkDpopKey({ ...holder.jwk, d: 'AAAA' }, 'ES256').ok, false)
  assert.equal(checkDpopKey({ ...holder.jwk }, 'EdDSA').ok, false)
  const offCurve = { ...holder.jwk, y: holder.jwk.x ?? '' }
  assert.equal(checkDpopKey(offCurve, 'ES256').ok, false)
  assert.equal(checkDpopKey(offCurve, 'ES256').ok, false)
})

test('a JWK with extra members is checked in full every time and answers like a minimal one', () => {
  const holder = p256()
  const withKid = checkDpopKey({ ...holder.jwk, kid: 'k1', use: 'sig' }, 'ES256')
  const minimal = checkDpopKey({ ...holder.jwk }, 'ES256')
  assert.ok(withKid.ok && minimal.ok)
  assert.equal(withKid.jkt, minimal.jkt)
  assert.deepEqual(Object.keys(withKid.jwk).sort(), ['crv', 'kty', 'x', 'y'])
})
