import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { hash as argon2Hash } from '@node-rs/argon2'
import { TesseraError } from '@tessera/core'
import { HashQueueFullError, PasswordHasher } from './password-hasher.ts'

const PASSWORD = 'correct horse battery staple'

describe('PasswordHasher hashing', () => {
  test('round-trips with argon2id at the OWASP parameters, salted', async () => {
    const hasher = new PasswordHasher({ concurrency: 2, queueLimit: 8 })
    const [first, second] = await Promise.all([hasher.hash(PASSWORD), hasher.hash(PASSWORD)])
    assert.match(first, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
    assert.notEqual(first, second, 'each hash has its own salt')
    assert.equal(await hasher.verify(first, PASSWORD), true)
    assert.equal(await hasher.verify(second, PASSWORD), true)
    assert.equal(await hasher.verify(first, `${PASSWORD} `), false)
    assert.equal(await hasher.verify(first, PASSWORD.toUpperCase()), false)
    assert.equal(hasher.needsRehash(first), false)
  })

  test('a malformed or non-argon2 stored hash verifies false without throwing', async () => {
    const hasher = new PasswordHasher({ concurrency: 1, queueLimit: 8 })
    const valid = await hasher.hash(PASSWORD)
    const malformed = [
      '',
      'not-a-hash',
      '$argon2id$v=19$m=19456,t=2,p=1$garbage',
      valid.slice(0, -5),
      '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW',
      // m = 4 GiB: refused, not run.
      '$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$RdescudvJCsgt3ub+b+dWRWJTmaaJObG',
    ]
    for (const stored of malformed) assert.equal(await hasher.verify(stored, PASSWORD), false, stored)
  })

  test('flags hashes made with other parameters for a rehash', async () => {
    const hasher = new PasswordHasher({ concurrency: 1, queueLimit: 1 })
    const weaker = await argon2Hash(PASSWORD, { memoryCost: 4096, timeCost: 1, parallelism: 1 })
    assert.equal(hasher.needsRehash(weaker), true)
    assert.equal(await hasher.verify(weaker, PASSWORD), true, 'older hashes still verify')
    assert.equal(hasher.needsRehash('garbage'), true)
  })
})

describe('PasswordHasher queue', () => {
  test('concurrency 1, queueLimit 1: of 5 calls at once exactly 3 are refused at once', async () => {
    const hasher = new PasswordHasher({ concurrency: 1, queueLimit: 1, retryAfterSeconds: 2 })
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => hasher.hash(`${PASSWORD}${i}`)),
    )
    const refused = results.filter((result) => result.status === 'rejected')
    assert.equal(refused.length, 3)
    assert.deepEqual(
      results.map((result) => result.status),
      ['fulfilled', 'fulfilled', 'rejected', 'rejected', 'rejected'],
    )
    for (const result of refused) {
      const error: unknown = result.reason
      assert.ok(error instanceof HashQueueFullError)
      assert.ok(error instanceof TesseraError)
      assert.equal(error.code, 'rate_limited')
      assert.equal(error.retryAfterSeconds, 2)
      assert.equal(error.message, 'password hashing is saturated, retry shortly')
    }
    assert.deepEqual(hasher.stats(), {
      concurrency: 1,
      queueLimit: 1,
      running: 0,
      queued: 0,
      completedTotal: 2,
      rejectedTotal: 3,
    })
  })

  test('never more than `concurrency` at once; the rest wait', async () => {
    const hasher = new PasswordHasher({ concurrency: 2, queueLimit: 10 })
    let maxRunning = 0
    const calls = Array.from({ length: 6 }, (_, i) =>
      hasher.hash(`${PASSWORD}${i}`).then(() => {
        maxRunning = Math.max(maxRunning, hasher.stats().running)
      }),
    )
    assert.equal(hasher.stats().running, 2)
    assert.equal(hasher.stats().queued, 4)
    await Promise.all(calls)
    assert.equal(maxRunning, 2)
    assert.equal(hasher.stats().running, 0)
    assert.equal(hasher.stats().completedTotal, 6)
  })

  test('waiting calls run first in, first out', async () => {
    const hasher = new PasswordHasher({ concurrency: 1, queueLimit: 10 })
    const stored = await hasher.hash(PASSWORD)
    const finished: number[] = []
    await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        hasher.verify(stored, `${PASSWORD}${i}`).then(() => finished.push(i)),
      ),
    )
    assert.deepEqual(finished, [0, 1, 2, 3])
  })

  test('verify and verifyDummy take slots too, and refuse when saturated', async () => {
    const hasher = new PasswordHasher({ concurrency: 1, queueLimit: 0 })
    const stored = await hasher.hash(PASSWORD)
    const results = await Promise.allSettled([
      hasher.verify(stored, PASSWORD),
      hasher.verify(stored, PASSWORD),
    ])
    assert.equal(results[0]?.status, 'fulfilled')
    assert.ok(results[1]?.status === 'rejected' && results[1].reason instanceof HashQueueFullError)
  })

  test('rejects nonsense options', () => {
    assert.throws(() => new PasswordHasher({ concurrency: 0, queueLimit: 1 }), TypeError)
    assert.throws(() => new PasswordHasher({ concurrency: 1, queueLimit: -1 }), TypeError)
  })
})

describe('PasswordHasher dummy verify', () => {
  test('resolves false for any password, and computes the dummy hash once', async () => {
    let randomCalls = 0
    const hasher = new PasswordHasher({
      concurrency: 2,
      queueLimit: 8,
      random: {
        bytes: (length) => {
          randomCalls += 1
          return Buffer.alloc(length, 1)
        },
      },
    })
    const results = await Promise.all([
      hasher.verifyDummy(PASSWORD),
      hasher.verifyDummy(''),
      hasher.verifyDummy(PASSWORD),
    ])
    assert.deepEqual(results, [false, false, false])
    // The dummy password is the base64url of 32 random bytes; even knowing it, verifyDummy answers false.
    assert.equal(await hasher.verifyDummy(Buffer.alloc(32, 1).toString('base64url')), false)
    assert.equal(randomCalls, 1)
    // One hash for the dummy, then one real verify per call.
    assert.equal(hasher.stats().completedTotal, 1 + 4)
  })

  test('a failed dummy computation is retried by the next caller', async () => {
    const hasher = new PasswordHasher({ concurrency: 1, queueLimit: 0 })
    const blocker = hasher.hash(PASSWORD)
    await assert.rejects(hasher.verifyDummy(PASSWORD), HashQueueFullError)
    await blocker
    assert.equal(await hasher.verifyDummy(PASSWORD), false)
  })
})
