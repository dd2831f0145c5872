/**
 * Conformance of `TokenUses`: the counter per `(iss, jti)`, its atomicity under concurrent consumes, and
 * purging counters of expired tokens. One suite for every adapter: the SQL stores (SQLite, PostgreSQL) and
 * Redis, which expires counters on its own clock — so instants are relative to `baseAt`, the real time for
 * Redis, and the purge test runs only for adapters that purge explicitly.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { TokenUseInput, TokenUses } from '../ports.ts'

const ISSUER = 'https://auth.example.test'

/** One adapter under test, fresh for each test, and how to release it. */
export interface TokenUsesSubject {
  readonly tokenUses: TokenUses
  dispose(): Promise<void>
}

export interface TokenUsesConformanceOptions {
  /** "Now" for the tests' instants: a fixed past instant for SQL, the real time for Redis. */
  readonly baseAt: () => number
  /** The adapter deletes expired counters in `purgeExpired` (SQL), rather than by itself (Redis). */
  readonly purgesExplicitly: boolean
}

async function withSubject(
  open: () => Promise<TokenUsesSubject>,
  work: (store: { tokenUses: TokenUses }) => Promise<void>,
): Promise<void> {
  const subject = await open()
  try {
    await work(subject)
  } finally {
    await subject.dispose()
  }
}

/**
 * Registers the `TokenUses` tests against adapters produced by `open`.
 *
 * @example
 * describeTokenUsesConformance(async () => { const store = await openSqliteStore({ file })
 *   return { tokenUses: store.tokenUses, dispose: () => store.close() } }, { baseAt: () => T0, purgesExplicitly: true })
 */
export function describeTokenUsesConformance(
  open: () => Promise<TokenUsesSubject>,
  options: TokenUsesConformanceOptions,
): void {
  const use = (jti: string, overrides: Partial<TokenUseInput> = {}): TokenUseInput => ({
    iss: ISSUER,
    jti,
    maxUses: 3,
    expiresAt: options.baseAt() + 900,
    ...overrides,
  })
  describe('token uses', () => {
    test('counts down to zero, then refuses', () =>
      withSubject(open, async (store) => {
        const decisions = []
        for (let i = 0; i < 5; i++) decisions.push(await store.tokenUses.consume(use('j1')))
        assert.deepEqual(decisions, [
          { allowed: true, remaining: 2 },
          { allowed: true, remaining: 1 },
          { allowed: true, remaining: 0 },
          { allowed: false, remaining: 0 },
          { allowed: false, remaining: 0 },
        ])
      }))

    test('a single-use token is allowed exactly once', () =>
      withSubject(open, async (store) => {
        assert.deepEqual(await store.tokenUses.consume(use('once', { maxUses: 1 })), {
          allowed: true,
          remaining: 0,
        })
        assert.deepEqual(await store.tokenUses.consume(use('once', { maxUses: 1 })), {
          allowed: false,
          remaining: 0,
        })
      }))

    test('counters are per (iss, jti): another issuer or jti has its own', () =>
      withSubject(open, async (store) => {
        for (let i = 0; i < 3; i++) await store.tokenUses.consume(use('shared'))
        assert.equal((await store.tokenUses.consume(use('shared'))).allowed, false)
        assert.equal((await store.tokenUses.consume(use('other'))).allowed, true)
        assert.equal(
          (await store.tokenUses.consume(use('shared', { iss: 'https://elsewhere.test' }))).allowed,
          true,
        )
      }))

    test('20 concurrent consumes of a token with max_uses 3 allow exactly 3', () =>
      withSubject(open, async (store) => {
        const decisions = await Promise.all(
          Array.from({ length: 20 }, () => store.tokenUses.consume(use('raced'))),
        )
        assert.equal(decisions.filter((decision) => decision.allowed).length, 3)
        assert.deepEqual(
          decisions
            .filter((decision) => decision.allowed)
            .map((decision) => decision.remaining)
            .sort(),
          [0, 1, 2],
        )
      }))

    test('rejects a max_uses that is not a positive integer', () =>
      withSubject(open, async (store) => {
        await assert.rejects(store.tokenUses.consume(use('bad', { maxUses: 0 })), RangeError)
        await assert.rejects(store.tokenUses.consume(use('bad', { maxUses: 1.5 })), RangeError)
      }))

    test(
      'purgeExpired deletes counters of expired tokens only',
      {
        skip: options.purgesExplicitly ? false : 'this adapter expires counters by itself',
      },
      () =>
        withSubject(open, async (store) => {
          const T0 = options.baseAt()
          await store.tokenUses.consume(use('old', { expiresAt: T0 + 10, maxUses: 1 }))
          await store.tokenUses.consume(use('live', { expiresAt: T0 + 1000, maxUses: 1 }))
          assert.equal(await store.tokenUses.purgeExpired(T0 + 11), 1)
          assert.equal(await store.tokenUses.purgeExpired(T0 + 11), 0)
          assert.equal((await store.tokenUses.consume(use('live', { maxUses: 1 }))).allowed, false)
        }),
    )
  })
}
