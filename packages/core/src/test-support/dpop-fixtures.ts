import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import type { DpopAlgorithm, DpopPublicJwk } from '../dpop-key.ts'
import { type DpopProofOptions, type DpopProofResult, verifyDpopProof } from '../dpop-proof.ts'
import { type CreateDpopProofOptions, createDpopProof } from '../dpop-proof-create.ts'
import { signRawJws } from './sign-raw-jws.ts'

/** Test support only: a DPoP client key pair with its public JWK (as sent) and its full private JWK. */
export interface DpopTestKey {
  readonly alg: DpopAlgorithm
  readonly privateKey: KeyObject
  readonly publicJwk: DpopPublicJwk
  readonly privateJwk: Readonly<Record<string, unknown>>
}

export function generateDpopTestKey(alg: DpopAlgorithm): DpopTestKey {
  const { privateKey, publicKey } =
    alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const exported = publicKey.export({ format: 'jwk' })
  const publicJwk =
    alg === 'EdDSA'
      ? ({ kty: 'OKP', crv: 'Ed25519', x: exported.x ?? '' } as const)
      : ({ kty: 'EC', crv: 'P-256', x: exported.x ?? '', y: exported.y ?? '' } as const)
  return { alg, privateKey, publicJwk, privateJwk: privateKey.export({ format: 'jwk' }) }
}

export const now = 1_700_000_000
export const requestUrl = 'https://api.example.com/orders'
export const accessToken = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1c3JfMSJ9.c2lnbmF0dXJl'

/** The options of an honest GET to `requestUrl` at `now`, plus any override. */
export function requestOptions(overrides: Partial<DpopProofOptions> = {}): DpopProofOptions {
  return { method: 'GET', url: requestUrl, nowSeconds: now, ...overrides }
}

/** An honest proof for `requestOptions()` by `key`, plus any override. */
export function honestProof(key: DpopTestKey, overrides: Partial<CreateDpopProofOptions> = {}): string {
  return createDpopProof({
    privateKey: key.privateKey,
    publicJwk: key.publicJwk,
    alg: key.alg,
    method: 'GET',
    url: requestUrl,
    nowSeconds: now,
    jti: 'jti-0001',
    ...overrides,
  })
}

/**
 * A proof with an exact header and claims (objects are serialised in member order; strings go verbatim,
 * so duplicates and odd JSON can be tested), validly signed by `signer`'s private key under `alg`.
 */
export function rawProof(
  signer: DpopTestKey,
  header: Readonly<Record<string, unknown>> | string,
  claims: Readonly<Record<string, unknown>> | string,
): string {
  const headerJson = typeof header === 'string' ? header : JSON.stringify(header)
  const claimsJson = typeof claims === 'string' ? claims : JSON.stringify(claims)
  return signRawJws(headerJson, claimsJson, { kid: '', alg: signer.alg, key: signer.privateKey })
}

/** The honest header and claims `honestProof` would use, to mutate one member at a time. */
export function honestParts(key: DpopTestKey): {
  header: Record<string, unknown>
  claims: Record<string, unknown>
} {
  return {
    header: { typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk },
    claims: { jti: 'jti-0001', htm: 'GET', htu: requestUrl, iat: now },
  }
}

/** The detail of a refusal, or 'ok' — so a test asserts the exact outcome in one line. */
export function outcomeOf(proof: string, options: DpopProofOptions = requestOptions()): string {
  const result: DpopProofResult = verifyDpopProof(proof, options)
  return result.ok ? 'ok' : `${result.check}: ${result.detail}`
}
