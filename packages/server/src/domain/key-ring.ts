import {
  type AccessTokenAlgorithm,
  type Clock,
  exportPkcs8,
  exportPublicJwk,
  generateSigningKey,
  importPkcs8,
  importVerificationJwk,
  type PublicJwk,
  type SigningKey,
  type VerificationKey,
} from '@tessera/core'
import { decryptPrivateKey, encryptPrivateKey } from '../secrets/key-encryption.ts'
import type { SigningKeyRecord, SigningKeys } from '../store/ports.ts'
import { newId } from './ids.ts'

export interface KeyRingOptions {
  readonly keys: SigningKeys
  readonly clock: Clock
  /** AES-256 key that wraps private keys at rest (derived from the server secret). */
  readonly encryptionKey: Buffer
  readonly algorithm: AccessTokenAlgorithm
  readonly rotationSeconds: number
  /** How long guards may cache the JWKS: a `next` key is published at least this long before it signs. */
  readonly jwksCacheSeconds: number
  /** Longest lifetime of a token a key signed, plus leeway: how long a retired key stays published. */
  readonly retiredRetentionSeconds: number
  /**
   * Called after this ring changed the stored keys (created the first ones, rotated), so other instances and
   * guards can be told at once (the Redis event stream) instead of at their next periodic reload.
   */
  readonly onChange?: () => void
}

/** `rotate()` without `force` while the `next` key is not yet visible to every guard. */
export class KeyRotationTooSoonError extends Error {
  readonly waitSeconds: number

  constructor(waitSeconds: number) {
    super(
      `the next key has not been published for the JWKS cache time yet: guards may not see it for ${waitSeconds} s more; wait, or force the rotation`,
    )
    this.name = 'KeyRotationTooSoonError'
    this.waitSeconds = waitSeconds
  }
}

/** What the ring holds after a load: the signer and every key a token may be verified with. */
interface LoadedRing {
  readonly current: SigningKey
  readonly currentRecord: SigningKeyRecord
  readonly next: SigningKeyRecord | undefined
  readonly verification: ReadonlyMap<string, VerificationKey>
  readonly published: readonly PublicJwk[]
}

/**
 * The signing key ring: `next` → `current` → `retired` (SPEC §2). Several instances sharing one database agree
 * without a coordinator: the store allows at most one `next` and one `current` row, so of two instances that
 * race to create or promote a key exactly one wins, and the other simply reloads what the winner wrote.
 */
export class KeyRing {
  readonly #options: KeyRingOptions
  #ring: LoadedRing | undefined
  readonly #decrypted = new Map<string, SigningKey>()

  constructor(options: KeyRingOptions) {
    this.#options = options
  }

  /**
   * Creates the first `current` and `next` keys if the database has none, then loads the ring.
   *
   * @example
   * const ring = new KeyRing(options); await ring.initialize()
   */
  async initialize(): Promise<void> {
    const now = this.#options.clock.nowSeconds()
    const records = await this.#options.keys.listPublished(now)
    // First start: no token and no cached JWKS exist yet, so a key may sign at once.
    const hasCurrent = records.some((r) => r.state === 'current')
    const hasNext = records.some((r) => r.state === 'next')
    if (!hasCurrent) await this.#options.keys.insert(this.#newRecord('current', now))
    if (!hasNext) await this.#options.keys.insert(this.#newRecord('next', now))
    await this.reload()
    if (!hasCurrent || !hasNext) this.#options.onChange?.()
  }

  /**
   * Re-reads the ring from the store (another instance may have rotated).
   *
   * @example
   * setInterval(() => void ring.reload(), 30_000)
   */
  async reload(): Promise<void> {
    const now = this.#options.clock.nowSeconds()
    const records = await this.#options.keys.listPublished(now)
    const currentRecord = records.find((r) => r.state === 'current')
    if (!currentRecord) throw new Error('key ring has no current signing key; run `tessera keys rotate`')
    const verification = new Map<string, VerificationKey>()
    const published: PublicJwk[] = []
    for (const record of records) {
      const key = importVerificationJwk(JSON.parse(record.publicJwk) as unknown)
      verification.set(record.kid, key)
      published.push(exportPublicJwk(key))
    }
    this.#ring = {
      current: this.#decrypt(currentRecord),
      currentRecord,
      next: records.find((r) => r.state === 'next'),
      verification,
      published,
    }
  }

  /** The key that signs new tokens. */
  get signingKey(): SigningKey {
    return this.#loaded().current
  }

  /**
   * The verification key for a `kid`, from the keys loaded in memory (never fetched per call).
   *
   * @example
   * verifyAccessToken(token, { keys: (header) => ring.resolve(header.kid), … })
   */
  resolve(kid: string | undefined): VerificationKey | undefined {
    return kid === undefined ? undefined : this.#loaded().verification.get(kid)
  }

  /**
   * The JWKS document: `next`, `current` and unexpired `retired` keys, public members only.
   *
   * @example
   * reply.send(ring.jwks())
   */
  jwks(): { keys: readonly PublicJwk[] } {
    return { keys: this.#loaded().published }
  }

  /**
   * Promotes `next` to `current`, retires the old `current`, and publishes a new `next`. Refuses
   * (`KeyRotationTooSoonError`) while `next` has been published for less than the JWKS cache time: a guard
   * holding a JWKS cached before `next` appeared could not verify what it signs. `force` rotates anyway —
   * for a compromised key, when refusing some tokens for a while beats signing with it any longer (guards
   * refetch on an unknown `kid`, at most once per their cooldown).
   *
   * @example
   * const { current, next } = await ring.rotate()
   */
  async rotate(
    options: { readonly force?: boolean } = {},
  ): Promise<{ current: string; next: string | undefined }> {
    await this.reload()
    const ring = this.#loaded()
    const now = this.#options.clock.nowSeconds()
    const publishedFor = ring.next === undefined ? 0 : now - ring.next.createdAt
    if (ring.next !== undefined && publishedFor < this.#options.jwksCacheSeconds && !options.force) {
      throw new KeyRotationTooSoonError(this.#options.jwksCacheSeconds - publishedFor)
    }
    if (ring.next) {
      await this.#options.keys.promote({
        nextKid: ring.next.kid,
        currentKid: ring.currentRecord.kid,
        now,
        retiredPublishUntil: now + this.#options.retiredRetentionSeconds,
      })
    }
    // Whether this instance or another won the promotion, a new `next` must exist; the store keeps it unique.
    await this.#options.keys.insert(this.#newRecord('next', now))
    await this.reload()
    this.#options.onChange?.()
    const after = this.#loaded()
    return { current: after.currentRecord.kid, next: after.next?.kid }
  }

  /**
   * Rotates when the current key is older than the rotation period and the `next` key has been published for
   * at least the JWKS cache time (so every guard can already verify what it will sign). Also purges retired
   * keys whose last token has expired.
   *
   * @example
   * await ring.rotateIfDue() // from a timer on every instance
   */
  async rotateIfDue(): Promise<boolean> {
    await this.reload()
    const ring = this.#loaded()
    const now = this.#options.clock.nowSeconds()
    await this.#options.keys.purgeExpired(now)
    const activatedAt = ring.currentRecord.activatedAt ?? ring.currentRecord.createdAt
    const isDue = now - activatedAt >= this.#options.rotationSeconds
    const isNextVisible =
      ring.next !== undefined && now - ring.next.createdAt >= this.#options.jwksCacheSeconds
    if (!isDue || !isNextVisible) return false
    await this.rotate()
    return true
  }

  /**
   * Takes a key that does not sign out of the JWKS now (`SigningKeys.withdraw`): the `next` key, which has
   * signed nothing, or a retired key whose tokens have not expired yet — those then fail with `unknown_key`,
   * which is the point for a compromised key. A withdrawn `next` is replaced at once, so the schedule still
   * has a key to promote (after the JWKS cache time, like any new `next`). Resolves false when the store
   * refused: the key is unknown, `current` (retire it with `rotate`), or no longer published.
   *
   * @example
   * if (!(await ring.withdraw(kid))) console.error('not a next or published retired key')
   */
  async withdraw(kid: string): Promise<boolean> {
    const now = this.#options.clock.nowSeconds()
    if (!(await this.#options.keys.withdraw(kid, now))) return false
    await this.reload()
    // Another instance may publish a `next` at the same moment; the store keeps it unique.
    if (this.#loaded().next === undefined) {
      await this.#options.keys.insert(this.#newRecord('next', now))
      await this.reload()
    }
    this.#options.onChange?.()
    return true
  }

  #loaded(): LoadedRing {
    if (!this.#ring) throw new Error('key ring used before initialize()')
    return this.#ring
  }

  #decrypt(record: SigningKeyRecord): SigningKey {
    const cached = this.#decrypted.get(record.kid)
    if (cached) return cached
    const der = decryptPrivateKey(record.privateKeyCiphertext, {
      kid: record.kid,
      key: this.#options.encryptionKey,
    })
    const key = importPkcs8(der, record.alg, record.kid)
    this.#decrypted.set(record.kid, key)
    return key
  }

  #newRecord(state: 'current' | 'next', now: number): SigningKeyRecord {
    const kid = newId('key')
    const key = generateSigningKey(this.#options.algorithm, kid)
    return {
      kid,
      alg: this.#options.algorithm,
      state,
      publicJwk: JSON.stringify(exportPublicJwk(key)),
      privateKeyCiphertext: encryptPrivateKey(exportPkcs8(key), { kid, key: this.#options.encryptionKey }),
      createdAt: now,
      activatedAt: state === 'current' ? now : null,
      retiredAt: null,
      publishUntil: null,
    }
  }
}
