import type { AuthContext } from './auth-context.ts'

// Tokens are ~0.5 KiB; anything far larger is not from our issuer's normal path and would let a client make
// each cache entry cost up to 8 KiB. Such tokens are verified every time instead.
const maxCachedTokenChars = 4096

/**
 * A bounded LRU of verified tokens, keyed on the exact token text (canonical base64url makes that text
 * unique per token). A hit saves only the signature check and the parse: the guard still applies expiry,
 * audience, `maxAge`, revocation, bindings, scope and use limits to every request. Entries leave at their
 * `exp` at the latest, and the least recently used one leaves when the cache is full.
 *
 * @example
 * const cache = new TokenCache(10_000)
 * cache.set(token, createAuthContext(claims, readScopes(claims.scope)), nowSeconds)
 * cache.get(token, nowSeconds)?.subject
 */
export class TokenCache {
  readonly #maxEntries: number
  readonly #entries = new Map<string, AuthContext>()

  /** `maxEntries` 0 turns the cache off. */
  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries
  }

  /** The verified token, unless it is unknown or its `exp` has come. */
  get(token: string, nowSeconds: number): AuthContext | undefined {
    const entry = this.#entries.get(token)
    if (entry === undefined) return undefined
    this.#entries.delete(token)
    if (nowSeconds >= entry.claims.exp) return undefined
    // Re-inserting moves the entry to the back of Map's insertion order: the most recently used end.
    this.#entries.set(token, entry)
    return entry
  }

  /** Remembers a verified token; does nothing for an expired or oversized one, or when the cache is off. */
  set(token: string, entry: AuthContext, nowSeconds: number): void {
    if (this.#maxEntries === 0 || token.length > maxCachedTokenChars) return
    if (nowSeconds >= entry.claims.exp) return
    this.#entries.delete(token)
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next()
      if (oldest.done !== true) this.#entries.delete(oldest.value)
    }
    this.#entries.set(token, entry)
  }

  get size(): number {
    return this.#entries.size
  }

  clear(): void {
    this.#entries.clear()
  }
}
