import assert from 'node:assert/strict'
import { createHmac, sign } from 'node:crypto'
import { describe, test } from 'node:test'
import { encodeBase64url } from './base64url.ts'
import { verifyDpopProof } from './dpop-proof.ts'
import { computeJwkThumbprint } from './jwk-export.ts'
import {
  generateDpopTestKey,
  honestParts,
  honestProof,
  now,
  outcomeOf,
  rawProof,
  requestOptions,
} from './test-support/dpop-fixtures.ts'
import { replaceSegment } from './test-support/sign-raw-jws.ts'

const edKey = generateDpopTestKey('EdDSA')
const ecKey = generateDpopTestKey('ES256')
const otherEdKey = generateDpopTestKey('EdDSA')

function encodeJson(value: unknown): string {
  return encodeBase64url(Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)))
}

describe('verifyDpopProof: an honest proof', () => {
  for (const key of [edKey, ecKey]) {
    test(`${key.alg}: accepted, with jkt, jti, iat and the public jwk only`, () => {
      const result = verifyDpopProof(honestProof(key), requestOptions())
      assert.deepEqual(result, {
        ok: true,
        jkt: computeJwkThumbprint(key.publicJwk),
        jti: 'jti-0001',
        iat: now,
        jwk: key.publicJwk,
      })
    })
  }

  test('extra members in the jwk (kid, alg, use) are not returned', () => {
    const { header, claims } = honestParts(edKey)
    const proof = rawProof(edKey, { ...header, jwk: { ...edKey.publicJwk, kid: 'k1', alg: 'EdDSA' } }, claims)
    const result = verifyDpopProof(proof, requestOptions())
    assert.equal(result.ok && JSON.stringify(result.jwk), JSON.stringify(edKey.publicJwk))
  })
})

describe('verifyDpopProof: syntax', () => {
  const proof = honestProof(edKey)

  test('refuses a proof over 8 KiB', () => {
    const { header, claims } = honestParts(edKey)
    const oversize = rawProof(edKey, header, { ...claims, pad: 'x'.repeat(6000) })
    assert.ok(oversize.length > 8192)
    assert.equal(outcomeOf(oversize), 'syntax: the proof is longer than 8192 characters')
  })

  test('refuses anything but three base64url segments', () => {
    const detail = 'syntax: the proof is not a compact JWS'
    assert.equal(outcomeOf(proof.split('.').slice(0, 2).join('.')), detail)
    assert.equal(outcomeOf(`${proof}.${proof.split('.')[2]}`), detail)
    assert.equal(outcomeOf(`${proof}=`), detail)
    assert.equal(outcomeOf(` ${proof}`), detail)
    assert.equal(outcomeOf(replaceSegment(proof, 1, '')), detail)
    assert.equal(outcomeOf(''), detail)
  })

  test('refuses non-canonical base64url (stray bits in the last character)', () => {
    const signature = proof.split('.')[2] ?? ''
    // 64 bytes → 86 characters, whose last carries 4 unused bits (so it is A, Q, g or w); set the lowest.
    const stray = { A: 'B', Q: 'R', g: 'h', w: 'x' }[signature.at(-1) as 'A' | 'Q' | 'g' | 'w']
    assert.equal(typeof stray, 'string')
    const strayProof = replaceSegment(proof, 2, `${signature.slice(0, -1)}${stray}`)
    assert.equal(outcomeOf(strayProof), 'syntax: the proof is not canonical base64url')
  })

  test('refuses a header with duplicate members, a non-object header and one that is not JSON', () => {
    const detail = 'syntax: the proof header is not a strict JSON object'
    const jwk = JSON.stringify(edKey.publicJwk)
    const duplicate = `{"typ":"dpop+jwt","alg":"EdDSA","jwk":${jwk},"typ":"dpop+jwt"}`
    assert.equal(outcomeOf(rawProof(edKey, duplicate, honestParts(edKey).claims)), detail)
    assert.equal(outcomeOf(replaceSegment(proof, 0, encodeJson('["dpop+jwt"]'))), detail)
    assert.equal(outcomeOf(replaceSegment(proof, 0, encodeJson('{"typ":'))), detail)
  })
})

describe('verifyDpopProof: header', () => {
  const { header, claims } = honestParts(edKey)

  test('typ must be exactly dpop+jwt', () => {
    const detail = 'typ: the typ header is not dpop+jwt'
    for (const typ of ['jwt', 'at+jwt', 'DPoP+JWT', 'application/dpop+jwt', 7]) {
      assert.equal(outcomeOf(rawProof(edKey, { ...header, typ }, claims)), detail, String(typ))
    }
    const { typ: _typ, ...untyped } = header
    assert.equal(outcomeOf(rawProof(edKey, untyped, claims)), detail)
  })

  test('alg none, HS256, RS256 and an algorithm left out of the options are refused', () => {
    const detail = 'alg: the alg header is not an accepted asymmetric algorithm'
    const none = `${encodeJson({ ...header, alg: 'none' })}.${encodeJson(claims)}.AAAA`
    assert.equal(outcomeOf(none), detail)
    // An HMAC proof keyed with the public x: the key-confusion attack RFC 8725 §2.1 describes.
    const hsInput = `${encodeJson({ ...header, alg: 'HS256' })}.${encodeJson(claims)}`
    const tag = createHmac('sha256', edKey.publicJwk.x).update(hsInput).digest()
    assert.equal(outcomeOf(`${hsInput}.${encodeBase64url(tag)}`), detail)
    assert.equal(outcomeOf(rawProof(edKey, { ...header, alg: 'RS256' }, claims)), detail)
    assert.equal(outcomeOf(rawProof(edKey, { ...header, alg: 'eddsa' }, claims)), detail)
    const esProof = honestProof(ecKey)
    assert.equal(outcomeOf(esProof, requestOptions({ algorithms: ['EdDSA'] })), detail)
  })

  for (const name of ['kid', 'jku', 'x5u', 'x5c', 'x5t', 'x5t#S256', 'crit']) {
    test(`a ${name} header is refused`, () => {
      const value = name === 'x5c' || name === 'crit' ? ['x'] : 'https://attacker.example/key'
      const proof = rawProof(edKey, { ...header, [name]: value }, claims)
      assert.equal(outcomeOf(proof), `header: the ${name} header is not allowed in a proof`)
    })
  }

  test('other unknown header members are ignored (RFC 7515 §4)', () => {
    assert.equal(outcomeOf(rawProof(edKey, { ...header, cty: 'x', extra: { a: 1 } }, claims)), 'ok')
  })
})

describe('verifyDpopProof: jwk', () => {
  const { header, claims } = honestParts(edKey)
  const outcomeWithJwk = (jwk: unknown, signer = edKey): string =>
    outcomeOf(rawProof(signer, { ...honestParts(signer).header, jwk }, claims))

  test('must be present and an object', () => {
    const { jwk: _jwk, ...keyless } = header
    assert.equal(
      outcomeOf(rawProof(edKey, keyless, claims)),
      'jwk: the jwk header is missing or not an object',
    )
    assert.equal(outcomeWithJwk('key'), 'jwk: the jwk header is missing or not an object')
    assert.equal(outcomeWithJwk([edKey.publicJwk]), 'jwk: the jwk header is missing or not an object')
  })

  test('a private key (d) or any private member is refused', () => {
    const detail = 'jwk: the jwk header carries private key material'
    assert.equal(outcomeWithJwk(edKey.privateJwk), detail)
    assert.equal(outcomeWithJwk(ecKey.privateJwk, ecKey), detail)
    for (const name of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) {
      assert.equal(outcomeWithJwk({ ...edKey.publicJwk, [name]: 'AAAA' }), detail, name)
    }
  })

  test('must be the key type of alg', () => {
    assert.equal(outcomeWithJwk(ecKey.publicJwk), 'jwk: the jwk header is not an OKP Ed25519 key for EdDSA')
    assert.equal(
      outcomeWithJwk(edKey.publicJwk, ecKey),
      'jwk: the jwk header is not an EC P-256 key for ES256',
    )
    const p384 = { ...ecKey.publicJwk, crv: 'P-384' }
    assert.equal(outcomeWithJwk(p384, ecKey), 'jwk: the jwk header is not an EC P-256 key for ES256')
  })

  test('must be a valid public key', () => {
    const detail = 'jwk: the jwk header is not a valid public key'
    assert.equal(outcomeWithJwk({ ...edKey.publicJwk, x: 'AAAA' }), detail)
    assert.equal(outcomeWithJwk({ ...edKey.publicJwk, alg: 'ES256' }), detail)
    assert.equal(outcomeWithJwk({ ...edKey.publicJwk, use: 'enc' }), detail)
    // A point off the curve: invalid-curve attacks start here.
    const offCurve = { ...ecKey.publicJwk, y: ecKey.publicJwk.kty === 'EC' ? ecKey.publicJwk.x : '' }
    assert.equal(outcomeWithJwk(offCurve, ecKey), detail)
  })
})

describe('verifyDpopProof: signature', () => {
  for (const key of [edKey, ecKey]) {
    test(`${key.alg}: a changed payload or signature byte is refused`, () => {
      const detail = 'signature: the proof signature does not verify with its jwk'
      const proof = honestProof(key)
      const [headerText = '', , signatureText = ''] = proof.split('.')
      const changedClaims = encodeJson({ ...honestParts(key).claims, jti: 'jti-0002' })
      assert.equal(outcomeOf(`${headerText}.${changedClaims}.${signatureText}`), detail)
      const signature = Buffer.from(signatureText, 'base64url')
      signature[10] = (signature[10] ?? 0) ^ 1
      assert.equal(outcomeOf(replaceSegment(proof, 2, encodeBase64url(signature))), detail)
    })
  }

  test('a proof signed by another key than its jwk is refused', () => {
    const { header, claims } = honestParts(edKey)
    assert.equal(
      outcomeOf(rawProof(otherEdKey, header, claims)),
      'signature: the proof signature does not verify with its jwk',
    )
  })

  test('ES256 in DER form (not JWS r‖s) is refused', () => {
    const proof = honestProof(ecKey)
    const signingInput = proof.slice(0, proof.lastIndexOf('.'))
    const der = sign('sha256', Buffer.from(signingInput), { key: ecKey.privateKey, dsaEncoding: 'der' })
    assert.equal(
      outcomeOf(`${signingInput}.${encodeBase64url(der)}`),
      'signature: the proof signature does not verify with its jwk',
    )
  })

  test('the payload is decoded only after the signature: duplicate claims are refused then', () => {
    const duplicate = `{"jti":"a","htm":"GET","htu":"https://api.example.com/orders","iat":${now},"jti":"b"}`
    const { header } = honestParts(edKey)
    assert.equal(
      outcomeOf(rawProof(edKey, header, duplicate)),
      'payload: the proof payload is not a strict JSON object',
    )
    assert.equal(
      outcomeOf(rawProof(edKey, header, '[1]')),
      'payload: the proof payload is not a strict JSON object',
    )
  })
})
