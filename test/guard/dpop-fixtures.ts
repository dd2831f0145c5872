import { generateKeyPairSync, randomBytes } from 'node:crypto'
import type { OutgoingHttpHeaders } from 'node:http'
import { computeJwkThumbprint, createDpopProof, type DpopPublicJwk } from '@tessera/core'

/** A DPoP client: one Ed25519 key pair, its `jkt`, and proofs signed with it. */
export interface DpopClient {
  /** RFC 7638 thumbprint of the public key: the `cnf.jkt` of tokens bound to this client. */
  readonly jkt: string
  /** A proof for one request; `jti` defaults to a fresh random value, `nowSeconds` is the proof's `iat`. */
  proof(request: {
    readonly method: string
    readonly url: string
    readonly accessToken: string
    readonly nowSeconds: number
    readonly jti?: string
  }): string
}

/**
 * A client with a fresh Ed25519 key pair, making proofs with core's `createDpopProof`.
 *
 * @example
 * const client = createDpopClient()
 * const token = mint({ cnf: { jkt: client.jkt } })
 * send(url, '/orders', { headers: dpopHeaders(token, client.proof({ method: 'GET', url, accessToken: token, nowSeconds })) })
 */
export function createDpopClient(): DpopClient {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const publicJwk = publicKey.export({ format: 'jwk' }) as DpopPublicJwk
  return {
    jkt: computeJwkThumbprint(publicJwk),
    proof: (request) =>
      createDpopProof({
        privateKey,
        publicJwk,
        alg: 'EdDSA',
        method: request.method,
        url: request.url,
        nowSeconds: request.nowSeconds,
        jti: request.jti ?? randomBytes(16).toString('base64url'),
        accessToken: request.accessToken,
      }),
  }
}

/** `Authorization: DPoP <token>` plus one `DPoP` header per proof (an array sends several header lines). */
export function dpopHeaders(token: string, ...proofs: readonly string[]): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { authorization: `DPoP ${token}` }
  if (proofs.length === 1) headers.dpop = proofs[0]
  else if (proofs.length > 1) headers.dpop = [...proofs]
  return headers
}

/** The DPoP challenge the guard must send (RFC 9449 §7.1), for a proof fault by default. */
export function dpopChallengeFor(reason = 'dpop_invalid', error = 'invalid_dpop_proof'): string {
  return `DPoP realm="tessera", error="${error}", error_description="${reason}", algs="EdDSA ES256"`
}
