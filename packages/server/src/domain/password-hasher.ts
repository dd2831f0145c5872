import {
  type Algorithm,
  hash as argon2Hash,
  verify as argon2Verify,
  parseOptions,
  type Version,
} from '@node-rs/argon2'
import { cryptoRandom, type RandomSource, RateLimitedError } from '@tessera/core'

/**
 * argon2id with the OWASP Password Storage Cheat Sheet's first configuration: m = 19 MiB, t = 2, p = 1.
 * `algorithm` and `version` are `const enum`s in the binding's types, which `isolatedModules` cannot
 * inline, hence the literals (Argon2id = 2, V0x13 = 1).
 */
const ARGON2ID = 2 as Algorithm
const VERSION_0X13 = 1 as Version
const HASH_OPTIONS = Object.freeze({
  algorithm: ARGON2ID,
  version: VERSION_0X13,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
  outputLen: 32,
})

/**
 * A stored hash whose parameters exceed these is refused rather than run: one row edited to m = 4 GiB must
 * not take the process down. They sit far above anything this server ever wrote.
 */
const MAX_STORED_MEMORY_KIB = 262_144
const MAX_STORED_TIME_COST = 16
const MAX_STORED_PARALLELISM = 8

export interface PasswordHasherOptions {
  /**
   * Hashes in flight at once. Each runs on a libuv pool thread (4 by default, shared with fs, dns and
   * zlib) and holds 19 MiB, so keep it below `UV_THREADPOOL_SIZE`.
   */
  readonly concurrency: number
  /** Hashes that may wait, first in first out, once `concurrency` are running; beyond, calls fail at once. */
  readonly queueLimit: number
  /** The Retry-After of a saturated queue; default 1 s. */
  readonly retryAfterSeconds?: number
  readonly random?: RandomSource
}

export interface PasswordHasherStats {
  readonly concurrency: number
  readonly queueLimit: number
  readonly running: number
  readonly queued: number
  readonly completedTotal: number
  readonly rejectedTotal: number
}

/**
 * The hash queue is full. A `rate_limited` error, but the server's fault rather than the caller's: the
 * HTTP layer answers 503 with `Retry-After: retryAfterSeconds` (RFC 9110 §15.6.4) instead of 429.
 */
export class HashQueueFullError extends RateLimitedError {
  readonly retryAfterSeconds: number

  constructor(retryAfterSeconds: number) {
    super('password hashing is saturated, retry shortly')
    this.retryAfterSeconds = retryAfterSeconds
  }
}

/**
 * Hashes and verifies passwords with argon2id off the event loop, at most `concurrency` at once, with a
 * bounded FIFO queue behind them. Without the bound a burst of logins would queue unbounded work (and
 * 19 MiB each) on the libuv pool, starving fs and dns; with it, excess load is shed at once as a
 * `HashQueueFullError`.
 *
 * @example
 * const hasher = new PasswordHasher({ concurrency: 2, queueLimit: 32 })
 * const stored = await hasher.hash('correct horse battery staple')
 * await hasher.verify(stored, 'correct horse battery staple') // true
 */
export class PasswordHasher {
  readonly #options: PasswordHasherOptions
  readonly #random: RandomSource
  readonly #waiting: Array<() => void> = []
  #running = 0
  #completedTotal = 0
  #rejectedTotal = 0
  #dummyHash: Promise<string> | undefined

  constructor(options: PasswordHasherOptions) {
    if (!Number.isSafeInteger(options.concurrency) || options.concurrency < 1) {
      throw new TypeError('concurrency must be a positive integer')
    }
    if (!Number.isSafeInteger(options.queueLimit) || options.queueLimit < 0) {
      throw new TypeError('queueLimit must be a non-negative integer')
    }
    this.#options = options
    this.#random = options.random ?? cryptoRandom
  }

  /** Hashes a password (already prepared by `checkPassword`) into an argon2id PHC string. */
  async hash(password: string): Promise<string> {
    return this.#run(async () => {
      try {
        return await argon2Hash(password, HASH_OPTIONS)
      } catch (error) {
        // The binding's message stays in `cause`, for a debugger, never in a response or log message.
        throw new Error('password hashing failed', { cause: error })
      }
    })
  }

  /**
   * Whether `password` matches the stored hash. A malformed, non-argon2 or absurdly expensive stored hash
   * verifies false after a dummy verify (the same work as a wrong password); the library's error never
   * escapes.
   */
  async verify(storedHash: string, password: string): Promise<boolean> {
    if (!isRunnableHash(storedHash)) return this.verifyDummy(password)
    return this.#verifyOnPool(storedHash, password)
  }

  /**
   * Runs a real verify against a dummy hash and resolves false, so an unknown user or an account without a
   * password costs what a wrong password costs (no user enumeration by timing, SPEC §3). The dummy hash is
   * computed once, lazily, from a random password nobody knows.
   */
  async verifyDummy(password: string): Promise<false> {
    await this.#verifyOnPool(await this.#ensureDummyHash(), password)
    return false
  }

  /** Computes the dummy hash now, so the first unknown-user login is not slower than the next ones. */
  async warmUp(): Promise<void> {
    await this.#ensureDummyHash()
  }

  /** Whether a stored hash was made with other (older, weaker) parameters than the current ones. */
  needsRehash(storedHash: string): boolean {
    try {
      const parsed = parseOptions(storedHash)
      return (
        parsed.algorithm !== HASH_OPTIONS.algorithm ||
        parsed.version !== HASH_OPTIONS.version ||
        parsed.memoryCost !== HASH_OPTIONS.memoryCost ||
        parsed.timeCost !== HASH_OPTIONS.timeCost ||
        parsed.parallelism !== HASH_OPTIONS.parallelism ||
        parsed.outputLen !== HASH_OPTIONS.outputLen
      )
    } catch {
      return true
    }
  }

  stats(): PasswordHasherStats {
    return {
      concurrency: this.#options.concurrency,
      queueLimit: this.#options.queueLimit,
      running: this.#running,
      queued: this.#waiting.length,
      completedTotal: this.#completedTotal,
      rejectedTotal: this.#rejectedTotal,
    }
  }

  #ensureDummyHash(): Promise<string> {
    if (this.#dummyHash === undefined) {
      const pending = this.hash(this.#random.bytes(32).toString('base64url'))
      this.#dummyHash = pending
      // A failure (a full queue) is not cached: the next caller tries again.
      pending.catch(() => {
        if (this.#dummyHash === pending) this.#dummyHash = undefined
      })
    }
    return this.#dummyHash
  }

  #verifyOnPool(storedHash: string, password: string): Promise<boolean> {
    return this.#run(async () => {
      try {
        return await argon2Verify(storedHash, password)
      } catch {
        return false
      }
    })
  }

  async #run<T>(work: () => Promise<T>): Promise<T> {
    await this.#acquire()
    try {
      return await work()
    } finally {
      this.#completedTotal += 1
      this.#release()
    }
  }

  #acquire(): Promise<void> {
    if (this.#running < this.#options.concurrency) {
      this.#running += 1
      return Promise.resolve()
    }
    if (this.#waiting.length >= this.#options.queueLimit) {
      this.#rejectedTotal += 1
      return Promise.reject(new HashQueueFullError(this.#options.retryAfterSeconds ?? 1))
    }
    return new Promise((resolve) => this.#waiting.push(resolve))
  }

  #release(): void {
    // The slot passes straight to the oldest waiter, so `running` never dips and FIFO order holds.
    const next = this.#waiting.shift()
    if (next === undefined) this.#running -= 1
    else next()
  }
}

function isRunnableHash(storedHash: string): boolean {
  try {
    const parsed = parseOptions(storedHash)
    return (
      parsed.memoryCost <= MAX_STORED_MEMORY_KIB &&
      parsed.timeCost <= MAX_STORED_TIME_COST &&
      parsed.parallelism <= MAX_STORED_PARALLELISM
    )
  } catch {
    return false
  }
}
