import { TesseraClientError } from './client-error.ts'
import {
  adoptDpopKeyPair,
  type DpopAlgorithm,
  type DpopKeyPair,
  type DpopSigningKey,
  generateDpopSigningKey,
  requireWebCrypto,
} from './dpop-key.ts'
import { DpopNonces } from './dpop-nonces.ts'
import { createDpopProof } from './dpop-proof.ts'

/** The client's DPoP settings after checks (see client-options.ts). */
export interface ResolvedDpopOptions {
  readonly alg: DpopAlgorithm
  /** A caller's checked pair; `undefined` makes the client generate one. */
  readonly keyPair: DpopKeyPair | undefined
}

/** One request to prove, as the issuer caller and the authorised fetch describe it. */
export interface ProofTarget {
  readonly method: string
  readonly url: string
  readonly accessToken?: string | undefined
}

/**
 * Everything a client needs to prove possession on every request: one key for the client's lifetime (a
 * new key would not match the `cnf.jkt` its tokens are bound to) and the nonces its servers asked for.
 * Key generation starts at creation and is awaited by the first proof; a runtime that cannot make the key
 * fails that first call with a TypeError, since WebCrypto has no synchronous way to ask.
 *
 * @example
 * const prover = new DpopProver({ alg: 'ES256', keyPair: undefined })
 * const proof = await prover.prove({ method: 'POST', url: 'https://auth.example.com/v1/login' })
 */
export class DpopProver {
  readonly alg: DpopAlgorithm
  readonly #nonces = new DpopNonces()
  #signingKey: Promise<DpopSigningKey> | undefined

  constructor(options: ResolvedDpopOptions) {
    const subtle = requireWebCrypto()
    this.alg = options.alg
    const { keyPair } = options
    const signingKey =
      keyPair === undefined
        ? generateDpopSigningKey(options.alg, subtle)
        : adoptDpopKeyPair(keyPair, options.alg, subtle)
    // Handled here so that a failure nobody awaited yet is not reported as an unhandled rejection; every
    // proof still awaits `signingKey` itself and gets the TypeError.
    signingKey.catch(() => {})
    this.#signingKey = signingKey
  }

  /** A fresh proof for this request, with the origin's last nonce. Rejects with `closed` after `close()`. */
  async prove(target: ProofTarget): Promise<string> {
    if (this.#signingKey === undefined) throw new TesseraClientError('closed')
    const signingKey = await this.#signingKey
    return createDpopProof(signingKey, {
      method: target.method,
      url: target.url,
      accessToken: target.accessToken,
      nonce: this.#nonces.forUrl(target.url),
      nowSeconds: Date.now() / 1000,
    })
  }

  /** Remembers the `DPoP-Nonce` of an answer from this URL's origin; whether the answer offered one. */
  hear(url: string, headers: Headers): boolean {
    return this.#nonces.hear(url, headers)
  }

  /** Drops the key and the nonces for good (the client's `close()`). */
  close(): void {
    this.#signingKey = undefined
    this.#nonces.clear()
  }
}
