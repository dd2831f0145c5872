/**
 * Server-provided DPoP nonces (RFC 9449 §8 for the issuer, §9 for resource servers). A server hands one
 * out in a `DPoP-Nonce` header, on a `use_dpop_nonce` refusal or on any answer, and expects it in the
 * `nonce` claim of the next proofs; that bounds how long a proof made in advance stays usable. Each origin
 * has its own nonces, so they are remembered per origin: the issuer's never go to an API, nor the reverse.
 */

/** RFC 9449 §8.1: `nonce = 1*NQCHAR`, `NQCHAR = %x21 / %x23-5B / %x5D-7E`. */
const NONCE_SYNTAX = /^[\x21\x23-\x5b\x5d-\x7e]+$/

/** Far above any real nonce; a longer value is noise we will not echo into every proof. */
const MAX_NONCE_CHARS = 1024

/** A client talks to a handful of origins; past this many, the least recently told one is forgotten. */
const MAX_ORIGINS = 64

/**
 * The `DPoP-Nonce` of an answer, when it is one (§8.1 syntax, bounded length).
 *
 * @example
 * const nonce = readDpopNonce(response.headers)
 */
export function readDpopNonce(headers: Headers): string | undefined {
  const nonce = headers.get('dpop-nonce')
  if (nonce === null || nonce.length > MAX_NONCE_CHARS || !NONCE_SYNTAX.test(nonce)) return undefined
  return nonce
}

function originOf(url: string): string {
  return new URL(url).origin
}

/**
 * The last nonce each origin sent. Not shared between clients: a nonce is tied to nothing secret, but one
 * client's memory is all it needs.
 *
 * @example
 * const nonces = new DpopNonces()
 * nonces.hear(url, response.headers)
 * const nonce = nonces.forUrl(nextUrl)
 */
export class DpopNonces {
  readonly #byOrigin = new Map<string, string>()

  /** The nonce to put in the next proof for this URL's origin, if that origin ever sent one. */
  forUrl(url: string): string | undefined {
    return this.#byOrigin.get(originOf(url))
  }

  /** Remembers the answer's nonce for its origin; whether it carried one. */
  hear(url: string, headers: Headers): boolean {
    const nonce = readDpopNonce(headers)
    if (nonce === undefined) return false
    const origin = originOf(url)
    this.#byOrigin.delete(origin)
    this.#byOrigin.set(origin, nonce)
    if (this.#byOrigin.size > MAX_ORIGINS) {
      const [oldest] = this.#byOrigin.keys()
      if (oldest !== undefined) this.#byOrigin.delete(oldest)
    }
    return true
  }

  /** Forgets every nonce (the client's `close()`). */
  clear(): void {
    this.#byOrigin.clear()
  }
}

/**
 * Whether the issuer refused a proof for want of a (fresh) nonce: 400 `{"error": "use_dpop_nonce"}`
 * (RFC 9449 §8).
 *
 * @example
 * if (isIssuerNonceChallenge(answer) && nonceWasOffered) retryOnce()
 */
export function isIssuerNonceChallenge(answer: { readonly status: number; readonly body: unknown }): boolean {
  const { status, body } = answer
  if (status !== 400 || typeof body !== 'object' || body === null) return false
  return 'error' in body && body.error === 'use_dpop_nonce'
}

/**
 * Whether a resource server refused a proof for want of a (fresh) nonce: 401 with a `DPoP` challenge whose
 * `error` is `use_dpop_nonce` (RFC 9449 §9). Cross-origin, a browser shows script the `WWW-Authenticate`
 * and `DPoP-Nonce` headers only when the API lists them in `Access-Control-Expose-Headers`.
 *
 * @example
 * if (isResourceNonceChallenge(response) && nonceWasOffered) retryOnce()
 */
export function isResourceNonceChallenge(response: Response): boolean {
  if (response.status !== 401) return false
  const challenge = response.headers.get('www-authenticate') ?? ''
  return /(^|[\s,])DPoP(\s|$)/i.test(challenge) && /\berror\s*=\s*"?use_dpop_nonce\b/.test(challenge)
}
