import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { ReasonCode } from '@tessera/core'
import { send } from '../guard/guard-fixtures.ts'
import { type AttackRig, ORDERS_SCOPE, startAttackRig } from './support/attack-rig.ts'
import { assertRefusedQuietly } from './support/nothing-changed.ts'
import { accessTokenHeader, forgeJws, signerOf } from './support/token-forge.ts'

/**
 * RFC 9068 §2.2 and §4, RFC 7519 §4.1, RFC 8725 §3.8–3.10: every token below carries the issuer's genuine
 * signature, so what refuses it is the claim rules alone — presence, exact types, issuer, audience, scope.
 */
describe('attacks on the claims', () => {
  let rig: AttackRig
  before(async () => {
    rig = await startAttackRig()
  })
  after(() => rig.close())

  interface ClaimCase {
    readonly name: string
    /** Claim overrides (`undefined` removes one), or the payload's exact JSON text. */
    readonly claims: Readonly<Record<string, unknown>> | ((valid: string) => string)
    readonly reason: ReasonCode
  }
  const issuerSigned = (claims: ClaimCase['claims']): string => {
    const payload =
      typeof claims === 'function' ? claims(JSON.stringify(rig.claims())) : JSON.stringify(rig.claims(claims))
    return forgeJws(JSON.stringify(accessTokenHeader(rig.serverKey)), payload, signerOf(rig.serverKey))
  }
  const run = (cases: readonly ClaimCase[], options?: { scope: string }): void => {
    for (const { name, claims, reason } of cases) {
      test(`${name}: ${reason}`, () =>
        assertRefusedQuietly(rig, issuerSigned(claims), { reason, ...(options ? { options } : {}) }))
    }
  }

  describe('each required claim missing in turn (RFC 9068 §2.2)', () => {
    run(
      ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'].map((claim) => ({
        name: `no ${claim}`,
        claims: { [claim]: undefined },
        reason: 'malformed' as const,
      })),
    )

    const typs: readonly (string | undefined)[] = [undefined, 'JWT', 'jwt', 'dpop+jwt', 'JOSE', '']
    for (const typ of typs) {
      test(`header typ ${typ === undefined ? 'absent' : JSON.stringify(typ)} (RFC 9068 §4): wrong_type`, async () => {
        const header = { alg: 'EdDSA', kid: rig.serverKey.kid, ...(typ === undefined ? {} : { typ }) }
        await assertRefusedQuietly(rig, rig.sign(rig.claims(), rig.serverKey, header), {
          reason: 'wrong_type',
        })
      })
    }
  })

  describe('claims of the wrong type (RFC 7519 §2 NumericDate, StringOrURI)', () => {
    const exactText = (name: string, json: string) => (valid: string) =>
      valid.replace(new RegExp(`"${name}":[^,}]+`), `"${name}":${json}`)
    run([
      { name: 'exp as a string', claims: { exp: String(Date.now()) }, reason: 'malformed' },
      { name: 'exp as a float', claims: (valid) => exactText('exp', '1.5')(valid), reason: 'malformed' },
      {
        name: 'exp 1e400 (Infinity)',
        claims: (valid) => exactText('exp', '1e400')(valid),
        reason: 'malformed',
      },
      { name: 'exp negative', claims: { exp: -1 }, reason: 'malformed' },
      {
        name: 'exp beyond 2^53',
        claims: (valid) => exactText('exp', '9007199254740993')(valid),
        reason: 'malformed',
      },
      { name: 'exp true', claims: { exp: true }, reason: 'malformed' },
      { name: 'exp null', claims: { exp: null }, reason: 'malformed' },
      { name: 'iat as a numeric string', claims: { iat: '1700000000' }, reason: 'malformed' },
      {
        name: 'iat as a float',
        claims: (valid) => exactText('iat', '1700000000.5')(valid),
        reason: 'malformed',
      },
      { name: 'nbf as a float', claims: { nbf: 1.25 }, reason: 'malformed' },
      { name: 'aud an empty array', claims: { aud: [] }, reason: 'malformed' },
      { name: 'aud an array of numbers', claims: { aud: [1] }, reason: 'malformed' },
      { name: 'aud an empty string', claims: { aud: '' }, reason: 'malformed' },
      { name: 'aud an array with an empty string', claims: { aud: ['orders-api', ''] }, reason: 'malformed' },
      { name: 'aud an object', claims: { aud: { 'orders-api': true } }, reason: 'malformed' },
      { name: 'aud a nested array', claims: { aud: [['orders-api']] }, reason: 'malformed' },
      { name: 'aud null', claims: { aud: null }, reason: 'malformed' },
      { name: 'scope an object', claims: { scope: { [ORDERS_SCOPE]: true } }, reason: 'malformed' },
      { name: 'scope an array', claims: { scope: [ORDERS_SCOPE] }, reason: 'malformed' },
      { name: 'sub a number', claims: { sub: 42 }, reason: 'malformed' },
      { name: 'sub empty', claims: { sub: '' }, reason: 'malformed' },
      { name: 'jti empty', claims: { jti: '' }, reason: 'malformed' },
      { name: 'client_id null', claims: { client_id: null }, reason: 'malformed' },
      { name: 'sid a number', claims: { sid: 5 }, reason: 'malformed' },
      { name: 'cnf a string', claims: { cnf: 'jkt' }, reason: 'malformed' },
      { name: 'max_uses zero', claims: { max_uses: 0 }, reason: 'malformed' },
      { name: 'path not absolute', claims: { path: 'orders' }, reason: 'malformed' },
      { name: 'iss an array', claims: { iss: ['http://127.0.0.1'] }, reason: 'malformed' },
    ])
  })

  describe('issuer variants (exact comparison, no normalisation)', () => {
    const variants: readonly [string, (issuer: string) => string][] = [
      ['a trailing slash', (issuer) => `${issuer}/`],
      ['upper-case scheme and host', (issuer) => issuer.toUpperCase()],
      ['https instead of http', (issuer) => issuer.replace('http:', 'https:')],
      ['localhost instead of 127.0.0.1', (issuer) => issuer.replace('127.0.0.1', 'localhost')],
      ['a path appended', (issuer) => `${issuer}/tenant-b`],
      ['another issuer', () => 'https://evil.example'],
      ['another port', (issuer) => issuer.replace(/:\d+$/, ':1')],
    ]
    for (const [name, issuer] of variants) {
      test(`iss with ${name}: wrong_issuer`, () =>
        assertRefusedQuietly(rig, issuerSigned({ iss: issuer(rig.issuer.url) }), { reason: 'wrong_issuer' }))
    }
  })

  describe('audience variants (exact membership, RFC 7519 §4.1.3)', () => {
    run([
      { name: 'another API', claims: { aud: 'billing-api' }, reason: 'wrong_audience' },
      { name: 'a different case', claims: { aud: 'Orders-API' }, reason: 'wrong_audience' },
      { name: 'a trailing space', claims: { aud: 'orders-api ' }, reason: 'wrong_audience' },
      { name: 'a prefix of ours', claims: { aud: 'orders' }, reason: 'wrong_audience' },
      { name: 'ours as a prefix', claims: { aud: 'orders-api-evil' }, reason: 'wrong_audience' },
      {
        name: 'a list without ours',
        claims: { aud: ['billing-api', 'reports-api'] },
        reason: 'wrong_audience',
      },
      {
        name: 'only the auth server itself (a token meant for /v1/me)',
        claims: (valid) => valid.replace(/"aud":\[[^\]]*\]/, `"aud":${JSON.stringify([rig.issuer.url])}`),
        reason: 'wrong_audience',
      },
    ])

    test('a route audience the token lacks: wrong_audience (verifyToken only)', async () => {
      await assertRefusedQuietly(rig, rig.sign(rig.claims()), {
        reason: 'wrong_audience',
        options: { audience: 'billing-api' },
        http: null,
      })
    })

    test('a token cached after passing one route is still wrong_audience at a route for another API', async () => {
      const token = rig.sign(rig.claims())
      assert.equal((await rig.guard.verifyToken(token)).sub, 'usr_alice')
      await assertRefusedQuietly(rig, token, {
        reason: 'wrong_audience',
        options: { audience: 'billing-api' },
        http: null,
      })
    })
  })

  describe('scope rules (RFC 6750 §3.1: insufficient_scope is 403)', () => {
    run(
      [
        { name: 'no scope claim', claims: { scope: undefined }, reason: 'insufficient_scope' },
        { name: 'an empty scope', claims: { scope: '' }, reason: 'insufficient_scope' },
        {
          name: 'a longer scope that starts with ours',
          claims: { scope: 'orders:read:all' },
          reason: 'insufficient_scope',
        },
        { name: 'a prefix of our scope', claims: { scope: 'orders' }, reason: 'insufficient_scope' },
        { name: 'our scope upper-cased', claims: { scope: 'ORDERS:READ' }, reason: 'insufficient_scope' },
        { name: 'other scopes only', claims: { scope: 'openid orders:write' }, reason: 'insufficient_scope' },
        {
          name: 'tab-separated (one scope token)',
          claims: { scope: `openid\t${ORDERS_SCOPE}` },
          reason: 'insufficient_scope',
        },
        {
          name: 'comma-separated',
          claims: { scope: `openid,${ORDERS_SCOPE}` },
          reason: 'insufficient_scope',
        },
        {
          name: 'the scope under "scp" instead',
          claims: { scope: undefined, scp: [ORDERS_SCOPE] },
          reason: 'insufficient_scope',
        },
      ],
      { scope: ORDERS_SCOPE },
    )

    test('control: our scope among others, even with doubled spaces, is accepted', async () => {
      const token = issuerSigned({ scope: `openid  ${ORDERS_SCOPE}` })
      assert.equal((await rig.guard.verifyToken(token, { scope: ORDERS_SCOPE })).sub, 'usr_alice')
      assert.equal(
        (await send(rig.apiUrl, '/orders', { headers: { authorization: `Bearer ${token}` } })).status,
        200,
      )
    })
  })
})
