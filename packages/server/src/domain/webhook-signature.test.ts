import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { describe, test } from 'node:test'
import { signWebhookBody, verifyWebhookSignature } from './webhook-signature.ts'

const SECRET = 'a webhook secret of at least 32 bytes!'
const BODY = '{"id":"evt_0065a0bc0000000000000000000000","type":"login_failed","at":1705000000}'
const T = 1_705_000_000

describe('Tessera-Signature', () => {
  test('is t=<seconds>,v1=<hex HMAC-SHA256 over "<t>.<body>"> (what docs/security.md tells receivers)', () => {
    const expected = createHmac('sha256', SECRET).update(`${T}.${BODY}`).digest('hex')
    assert.equal(signWebhookBody(SECRET, T, BODY), `t=${T},v1=${expected}`)
  })

  test('verifies its own signature within the tolerance, either way', () => {
    const header = signWebhookBody(SECRET, T, BODY)
    for (const nowSeconds of [T, T + 300, T - 300]) {
      assert.equal(verifyWebhookSignature(SECRET, header, BODY, { nowSeconds }), true)
    }
    assert.equal(
      verifyWebhookSignature(SECRET, header, BODY, { nowSeconds: T + 301 }),
      false,
      'too old: replay',
    )
    assert.equal(
      verifyWebhookSignature(SECRET, header, BODY, { nowSeconds: T + 30, toleranceSeconds: 10 }),
      false,
    )
  })

  test('refuses another body, another secret, another timestamp', () => {
    const header = signWebhookBody(SECRET, T, BODY)
    const now = { nowSeconds: T }
    assert.equal(verifyWebhookSignature(SECRET, header, `${BODY} `, now), false)
    assert.equal(verifyWebhookSignature(`${SECRET}!`, header, BODY, now), false)
    const moved = header.replace(`t=${T}`, `t=${T + 1}`)
    assert.equal(verifyWebhookSignature(SECRET, moved, BODY, { nowSeconds: T + 1 }), false)
  })

  test('accepts any matching v1 (secret rotation) and ignores unknown schemes', () => {
    const good = signWebhookBody(SECRET, T, BODY).split(',')[1]
    const header = `t=${T},v0=abc,v1=${'0'.repeat(64)},${good}`
    assert.equal(verifyWebhookSignature(SECRET, header, BODY, { nowSeconds: T }), true)
  })

  test('refuses malformed headers without throwing', () => {
    const v1 = signWebhookBody(SECRET, T, BODY).split(',')[1]
    for (const header of [
      undefined,
      42,
      '',
      v1,
      `t=${T}`,
      `t=${T},t=${T},${v1}`,
      `t=abc,${v1}`,
      `t=${T},v1=${'A'.repeat(64)}`,
      `t=${T},v1=zz`,
      `t=${T},${v1}=x`,
      `t=${T},${v1},${'x'.repeat(1100)}`,
    ]) {
      assert.equal(verifyWebhookSignature(SECRET, header, BODY, { nowSeconds: T }), false, String(header))
    }
  })
})
