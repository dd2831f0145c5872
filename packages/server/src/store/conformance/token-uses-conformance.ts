/**
 * Conformance of `TokenUses`: the counter per `(iss, jti)`, its atomicity under concurrent consumes, and
 * purging counters of expired tokens.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { TokenUseInput } from '../ports.ts'
import { type OpenStore, T0, withStore } from './conformance-fixtures.ts'

const ISSUER = 'https://auth.example.test'

function use(jti: string, overrides: Partial<TokenUseInput> = {}): TokenUseInput {
  return { iss: ISSUER, jti, maxUses: 3, expiresAt: T0 + 900, ...overrides }
}

/**
 * Registers the `TokenUses` tests against stores produced by `open`.
 *
 * @example
 * describeTokenUsesConformance(() => openSqliteStore({ file }))
 */
export function describeTokenUsesConformance(open: OpenStore): void {
  describe('token uses', () => {
    test('counts down to zero, then refuses', () =>
      withStore(open, async (store) => {
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
      withStore(open, async (store) => {
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
      withStore(open, async (store) => {
        for (let i = 0; i < 3; i++) await store.tokenUses.consume(use('shared'))
        assert.equal((await store.tokenUses.consume(use('shared'))).allowed, false)
        assert.equal((await store.tokenUses.consume(use('other'))).allowed, true)
        assert.equal(
          (await store.tokenUses.consume(use('shared', { iss: 'https://elsewhere.test' }))).allowed,
          true,
        )
      }))

    test('20 concurrent consumes of a token with max_uses 3 allow exactly 3', () =>
      withStore(open, async (store) => {
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
      withStore(open, async (store) => {
        await assert.rejects(store.tokenUses.consume(use('bad', { maxUses: 0 })), RangeError)
        await assert.rejects(store.tokenUses.consume(use('bad', { maxUses: 1.5 })), RangeError)
      }))

    test('purgeExpired deletes counters of expired tokens only', () =>
      withStore(open, async (store) => {
        await store.tokenUses.consume(use('old', { expiresAt: T0 + 10, maxUses: 1 }))
        await store.tokenUses.consume(use('live', { expiresAt: T0 + 1000, maxUses: 1 }))
        assert.equal(await store.tokenUses.purgeExpired(T0 + 11), 1)
        assert.equal(await store.tokenUses.purgeExpired(T0 + 11), 0)
        assert.equal((await store.tokenUses.consume(use('live', { maxUses: 1 }))).allowed, false)
      }))
  })
}
