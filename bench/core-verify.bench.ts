/**
 * Access-token verification on first sight, EdDSA and ES256, side by side in one run:
 * - raw `crypto.verify` over the same signing input with the signature already decoded (the floor);
 * - `@tessera/core` `verifyAccessToken`: strict parse, typ/alg/key checks, signature, strict claims — no cache;
 * - `jose.jwtVerify` with the key imported once;
 * - `fast-jwt` `createVerifier` with its cache disabled.
 * Every case cycles through the same 256 distinct tokens, so nothing can be served from a per-token cache.
 * Target: core at or above 90% of the raw rate.
 */
import assert from 'node:assert/strict'
import { type KeyObject, verify } from 'node:crypto'
import { createVerifier } from 'fast-jwt'
import { importJWK, jwtVerify } from 'jose'
import {
  type AccessTokenAlgorithm,
  type AccessTokenVerifyOptions,
  exportPublicJwk,
  generateSigningKey,
  parseCompactJws,
  signAccessToken,
  systemClock,
  toVerificationKey,
  verifyAccessToken,
} from '../packages/core/src/index.ts'
import type { BenchDefinition, BenchSuite } from './harness.ts'

const issuer = 'http://localhost:8080'
const audience = 'orders-api'
const poolSize = 256

interface RawInput {
  readonly signingInput: Buffer
  readonly signature: Buffer
}

// Each case walks the pool on its own cursor; the closure costs every case the same.
function cycle<T>(items: readonly T[]): () => T {
  let index = 0
  return () => {
    const item = items[index] as T
    index = (index + 1) % items.length
    return item
  }
}

async function suiteFor(alg: AccessTokenAlgorithm): Promise<BenchSuite> {
  const signingKey = generateSigningKey(alg, `${alg}-bench`)
  const verificationKey = toVerificationKey(signingKey)
  const nowSeconds = systemClock.nowSeconds()
  const tokens = Array.from({ length: poolSize }, (_, index) =>
    signAccessToken(
      {
        iss: issuer,
        sub: `usr_${index.toString(16).padStart(16, '0')}`,
        aud: [issuer, audience],
        exp: nowSeconds + 900,
        iat: nowSeconds,
        jti: `jti_${index}_${nowSeconds}`,
        client_id: 'web',
        sid: `ses_${index}`,
        scope: 'openid orders:read orders:write',
      },
      signingKey,
    ),
  )
  const rawInputs: RawInput[] = tokens.map((token) => {
    const parsed = parseCompactJws(token)
    return { signingInput: Buffer.from(parsed.signingInput, 'latin1'), signature: parsed.signature }
  })
  const publicKey: KeyObject = verificationKey.key
  const ecdsaKey = { key: publicKey, dsaEncoding: 'ieee-p1363' } as const
  const verifyRaw =
    alg === 'EdDSA'
      ? (input: RawInput): boolean => verify(null, input.signingInput, publicKey, input.signature)
      : (input: RawInput): boolean => verify('sha256', input.signingInput, ecdsaKey, input.signature)

  const coreOptions: AccessTokenVerifyOptions = {
    keys: (header) => (header.kid === verificationKey.kid ? verificationKey : undefined),
    issuer,
    audience,
    maxLifetimeSeconds: 900,
    clock: systemClock,
    algorithms: [alg],
  }
  const joseKey = await importJWK({ ...exportPublicJwk(signingKey) }, alg)
  const joseOptions = { issuer, audience, typ: 'at+jwt', algorithms: [alg] }
  const fastJwtVerify = createVerifier({
    key: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    algorithms: [alg],
    cache: false,
    allowedIss: issuer,
    allowedAud: audience,
    checkTyp: 'at+jwt',
  })

  // Every contender must actually accept the tokens before its speed means anything.
  for (const [index, token] of tokens.entries()) {
    const input = rawInputs[index]
    assert.ok(input !== undefined && verifyRaw(input))
    assert.equal(verifyAccessToken(token, coreOptions).jti, `jti_${index}_${nowSeconds}`)
  }
  assert.equal((await jwtVerify(tokens[0] ?? '', joseKey, joseOptions)).payload.sub, 'usr_0000000000000000')
  assert.equal((fastJwtVerify(tokens[1] ?? '') as { sub: string }).sub, 'usr_0000000000000001')

  const nextRaw = cycle(rawInputs)
  const nextCore = cycle(tokens)
  const nextJose = cycle(tokens)
  const nextFastJwt = cycle(tokens)
  return {
    name: `${alg} access-token verification, first sight (${poolSize} distinct tokens of ${tokens[0]?.length} chars)`,
    baseline: 'raw crypto.verify',
    note: 'target: core verifyAccessToken ≥ 90% of raw crypto.verify',
    cases: [
      {
        name: 'raw crypto.verify',
        run: () => verifyRaw(nextRaw()),
      },
      {
        name: 'core verifyAccessToken',
        run: () => verifyAccessToken(nextCore(), coreOptions),
      },
      {
        name: 'jose jwtVerify',
        run: () => jwtVerify(nextJose(), joseKey, joseOptions),
      },
      {
        name: 'fast-jwt verifier (cache off)',
        run: () => fastJwtVerify(nextFastJwt()),
      },
    ],
  }
}

const definition: BenchDefinition = {
  name: 'core access-token verification vs raw crypto.verify, jose and fast-jwt',
  suites: async () => [await suiteFor('EdDSA'), await suiteFor('ES256')],
}

export default definition
