/**
 * A DPoP key holder for tests against the auth server: one key pair (Ed25519 or P-256), its thumbprint,
 * and proofs made with core's `createDpopProof` for any request, with or without `ath` and `nonce`.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { computeJwkThumbprint, createDpopProof, type DpopAlgorithm, type DpopPublicJwk } from '@tessera/core'

export interface DpopKeyHolder {
  /** RFC 7638 thumbprint: the `cnf.jkt` of tokens bound to this key. */
  readonly jkt: string
  readonly alg: DpopAlgorithm
  proof(request: {
    readonly method: string
    readonly url: string
    readonly nowSeconds: number
    readonly accessToken?: string
    readonly nonce?: string
    readonly jti?: string
  }): string
}

/**
 * A holder with a fresh key pair.
 *
 * @example
 * const holder = createDpopKeyHolder('ES256')
 * call(base, '/v1/login', { body, headers: { dpop: holder.proof({ method: 'POST', url, nowSeconds }) } })
 */
export function createDpopKeyHolder(alg: DpopAlgorithm = 'EdDSA'): DpopKeyHolder {
  const { privateKey, publicKey } =
    alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const publicJwk = publicKey.export({ format: 'jwk' }) as DpopPublicJwk
  return {
    jkt: computeJwkThumbprint(publicJwk),
    alg,
    proof: (request) =>
      createDpopProof({
        privateKey,
        publicJwk,
        alg,
        method: request.method,
        url: request.url,
        nowSeconds: request.nowSeconds,
        jti: request.jti ?? randomBytes(16).toString('base64url'),
        ...(request.accessToken === undefined ? {} : { accessToken: request.accessToken }),
        ...(request.nonce === undefined ? {} : { nonce: request.nonce }),
      }),
  }
}
