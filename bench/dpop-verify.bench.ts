/**
 * What DPoP costs a resource server, side by side in one run: verifying a Bearer access token (core
 * `verifyAccessToken`) against verifying a DPoP-bound token together with its proof (`verifyAccessToken` +
 * `verifyDpopProof` with `ath` and the expected `jkt`), for EdDSA and ES256 — each request carries a fresh
 * proof, so the proof's signature is verified every time. Baseline: the Bearer verification. A DPoP request
 * verifies two signatures (the token's and the proof's) and imports the proof's public JWK, so about 2× the
 * time is the expected floor. 256 distinct tokens and 256 distinct proofs.
 */
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import {
  type AccessTokenAlgorithm,
  type AccessTokenVerifyOptions,
  computeDpopAth,
  createDpopProof,
  type DpopPublicJwk,
  generateSigningKey,
  signAccessToken,
  systemClock,
  toVerificationKey,
  verifyAccessToken,
  verifyDpopProof,
} from '../packages/core/src/index.ts'
import type { BenchDefinition, BenchSuite } from './harness.ts'

const issuer = 'http://localhost:8080'
const audience = 'orders-api'
const url = 'https://api.example.com/orders'
const poolSize = 256

function cycle<T>(items: readonly T[]): () => T {
  let index = 0
  return () => {
    const item = items[index] as T
    index = (index + 1) % items.length
    return item
  }
}

function suiteFor(alg: AccessTokenAlgorithm): BenchSuite {
  const signingKey = generateSigningKey(alg, `${alg}-bench`)
  const verificationKey = toVerificationKey(signingKey)
  const clientKeys =
    alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const publicJwk = clientKeys.publicKey.export({ format: 'jwk' }) as DpopPublicJwk
  const now = systemClock.nowSeconds()
  const claimsOf = (index: number) => ({
    iss: issuer,
    sub: `usr_${index}`,
    aud: [issuer, audience],
    exp: now + 900,
    iat: now,
    jti: `jti_${index}`,
    client_id: 'cli',
    sid: `ses_${index}`,
    scope: 'orders:read',
  })
  const bearerTokens = Array.from({ length: poolSize }, (_, index) =>
    signAccessToken(claimsOf(index), signingKey),
  )
  // The proof's key thumbprint, as the issuer would put it into cnf.jkt.
  const probe = createDpopProof({
    privateKey: clientKeys.privateKey,
    publicJwk,
    alg,
    method: 'GET',
    url,
    nowSeconds: now,
    jti: 'probe',
  })
  const probed = verifyDpopProof(probe, { method: 'GET', url, nowSeconds: now })
  assert.ok(probed.ok)
  const jkt = probed.jkt
  const bound = Array.from({ length: poolSize }, (_, index) => {
    const token = signAccessToken({ ...claimsOf(index), cnf: { jkt } }, signingKey)
    const proof = createDpopProof({
      privateKey: clientKeys.privateKey,
      publicJwk,
      alg,
      method: 'GET',
      url,
      nowSeconds: now,
      jti: `proof_${index}`,
      accessToken: token,
    })
    return { token, proof }
  })
  const tokenOptions: AccessTokenVerifyOptions = {
    keys: (header) => (header.kid === verificationKey.kid ? verificationKey : undefined),
    issuer,
    audience,
    maxLifetimeSeconds: 900,
    clock: systemClock,
    algorithms: [alg],
  }
  const verifyBound = ({ token, proof }: { token: string; proof: string }): boolean => {
    const claims = verifyAccessToken(token, tokenOptions)
    const result = verifyDpopProof(proof, {
      method: 'GET',
      url,
      nowSeconds: systemClock.nowSeconds(),
      accessToken: token,
      expectedJkt: claims.cnf?.jkt ?? '',
    })
    return result.ok
  }
  for (const request of bound) assert.ok(verifyBound(request), 'every bound request verifies')
  assert.ok(computeDpopAth(bound[0]?.token ?? '').length === 43)

  const nextBearer = cycle(bearerTokens)
  const nextBound = cycle(bound)
  return {
    name: `${alg}: Bearer token vs DPoP-bound token + proof (${poolSize} distinct of each)`,
    baseline: 'Bearer: verifyAccessToken',
    note: 'a DPoP request verifies two signatures and imports the proof key: ≈ 2× the work is the floor',
    cases: [
      { name: 'Bearer: verifyAccessToken', run: () => verifyAccessToken(nextBearer(), tokenOptions) },
      { name: 'DPoP: verifyAccessToken + verifyDpopProof', run: () => verifyBound(nextBound()) },
    ],
  }
}

const definition: BenchDefinition = {
  name: 'DPoP proof verification beside plain Bearer verification',
  suites: () => [suiteFor('EdDSA'), suiteFor('ES256')],
}

export default definition
