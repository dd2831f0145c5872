import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { hash as argon2Hash } from '@node-rs/argon2'
import { createManualClock } from '@tessera/core'
import type { Store } from '../store/ports.ts'
import { openSqliteStore } from '../store/sqlite/open-sqlite-store.ts'
import { type Accounts, createAccounts } from './accounts.ts'
import { loadCommonPasswords } from './common-passwords.ts'
import { isId, newId } from './ids.ts'
import { PasswordHasher } from './password-hasher.ts'

const START_AT = 1_700_000_000
const PASSWORD = 'correct horse battery staple'
const bounds = { minLength: 8, maxLength: 1024 }

let directory: string
let store: Store
const clock = createManualClock(START_AT)
const hasher = new PasswordHasher({ concurrency: 2, queueLimit: 64 })
let accounts: Accounts

before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'tessera-accounts-'))
  store = await openSqliteStore({ file: join(directory, 'tessera.db') })
  accounts = createAccounts({ store, hasher, clock, passwordBounds: bounds })
  await hasher.warmUp()
})

after(async () => {
  await store.close()
  await rm(directory, { recursive: true, force: true })
})

async function signUpOk(email: string, password = PASSWORD, name?: string) {
  const outcome = await accounts.signUp({ email, password, ...(name === undefined ? {} : { name }) })
  assert.ok(outcome.ok, `sign-up of ${email} failed: ${JSON.stringify(outcome)}`)
  return outcome.user
}

/** Argon2 operations the hasher completed while `work` ran: the "same work" of SPEC §3, counted. */
async function hashingWorkOf<T>(work: () => Promise<T>): Promise<{ result: T; operations: number }> {
  const before = hasher.stats().completedTotal
  const result = await work()
  return { result, operations: hasher.stats().completedTotal - before }
}

describe('sign-up and sign-in', () => {
  test('sign-up stores a normalised account; sign-in with the password succeeds', async () => {
    const user = await signUpOk('  Ada.Lovelace@Example.COM ', PASSWORD, '  Ada Lovelace ')
    assert.ok(isId('usr', user.id))
    assert.equal(user.email, 'ada.lovelace@example.com')
    assert.equal(user.name, 'Ada Lovelace')
    assert.equal(user.disabled, false)
    assert.equal(user.createdAt, START_AT)
    assert.match(user.passwordHash ?? '', /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    const outcome = await accounts.authenticate({ email: 'ada.lovelace@example.com', password: PASSWORD })
    assert.ok(outcome.ok)
    assert.equal(outcome.user.id, user.id)
  })

  test('case, fullwidth and NFD spellings of the email find the same account', async () => {
    const user = await signUpOk('jos\u00E9@example.org')
    for (const email of [
      'JOS\u00C9@EXAMPLE.ORG',
      'jose\u0301@example.org',
      'ｊｏｓé＠ｅｘａｍｐｌｅ．ｏｒｇ',
    ]) {
      const outcome = await accounts.authenticate({ email, password: PASSWORD })
      assert.ok(outcome.ok, email)
      assert.equal(outcome.user.id, user.id)
    }
  })

  test('a password typed in NFD signs in to an account created in NFC (RFC 8265)', async () => {
    await signUpOk('nfc@example.org', 'cr\u00E8me br\u00FBl\u00E9e')
    assert.ok(
      (await accounts.authenticate({ email: 'nfc@example.org', password: 'cre\u0300me bru\u0302le\u0301e' }))
        .ok,
    )
  })

  test('a duplicate email, in any spelling, is email_taken', async () => {
    await signUpOk('grace@example.com')
    assert.deepEqual(await accounts.signUp({ email: 'GRACE@example.com', password: 'another password' }), {
      ok: false,
      reason: 'email_taken',
    })
    assert.deepEqual(await accounts.createUser({ email: 'grace@EXAMPLE.com', password: PASSWORD }), {
      ok: false,
      reason: 'email_taken',
    })
  })

  test('of two concurrent sign-ups with one email exactly one wins', async () => {
    const outcomes = await Promise.all([
      accounts.signUp({ email: 'race@example.com', password: PASSWORD }),
      accounts.signUp({ email: 'Race@Example.com', password: 'a different password' }),
    ])
    assert.equal(outcomes.filter((outcome) => outcome.ok).length, 1)
    assert.deepEqual(
      outcomes.find((outcome) => !outcome.ok),
      { ok: false, reason: 'email_taken' },
    )
  })

  test('invalid input names the field', async () => {
    const cases = [
      [{ email: 'no-at-sign', password: PASSWORD }, 'email'],
      [{ email: 'short@example.com', password: 'short' }, 'password'],
      [{ email: 'ctrl@example.com', password: `${PASSWORD}\n` }, 'password'],
      [{ email: 'blank@example.com', password: PASSWORD, name: '   ' }, 'name'],
      [{ email: 'long@example.com', password: PASSWORD, name: 'n'.repeat(201) }, 'name'],
      [{ email: 'bidi@example.com', password: PASSWORD, name: 'evil\u202Eexe.txt' }, 'name'],
    ] as const
    for (const [input, field] of cases) {
      const outcome = await accounts.signUp(input)
      assert.ok(!outcome.ok && outcome.reason === 'invalid_request', JSON.stringify(input))
      assert.equal(outcome.field, field)
      assert.ok(!outcome.message.includes(PASSWORD))
    }
    assert.equal(await store.users.findByEmail('short@example.com'), undefined, 'nothing was stored')
  })
})

describe('sign-in failures are indistinguishable', () => {
  test('unknown user, wrong password, disabled, no password and malformed input: same outcome, same work', async () => {
    const known = await signUpOk('known@example.com')
    const disabled = await signUpOk('disabled@example.com')
    assert.equal(await accounts.setDisabled(disabled.id, true), true)
    const passwordless = await store.users.create({
      id: newId('usr'),
      email: 'oidc-only@example.com',
      name: null,
      passwordHash: null,
      createdAt: START_AT,
    })
    assert.ok(passwordless.ok)
    const attempts = {
      wrongPassword: { email: known.email, password: 'not the password' },
      unknownUser: { email: 'nobody@example.com', password: 'not the password' },
      disabledRightPassword: { email: disabled.email, password: PASSWORD },
      noPassword: { email: 'oidc-only@example.com', password: PASSWORD },
      malformedEmail: { email: 'not an email', password: PASSWORD },
      passwordTooLong: { email: known.email, password: 'x'.repeat(1025) },
      passwordWithControl: { email: known.email, password: `${PASSWORD}\u0000` },
    }
    const reference = await accounts.authenticate(attempts.wrongPassword)
    assert.deepEqual(reference, { ok: false, reason: 'invalid_credentials' })
    for (const [name, attempt] of Object.entries(attempts)) {
      const { result, operations } = await hashingWorkOf(() => accounts.authenticate(attempt))
      assert.equal(result, reference, `${name}: the very same outcome object`)
      assert.equal(operations, 1, `${name}: exactly one argon2 verify`)
    }
    assert.equal(JSON.stringify(await accounts.authenticate(attempts.unknownUser)), JSON.stringify(reference))
  })

  test('re-enabling a disabled account lets it sign in again', async () => {
    const user = await signUpOk('toggle@example.com')
    assert.equal(await accounts.setDisabled(user.id, true), true)
    assert.equal((await accounts.authenticate({ email: user.email, password: PASSWORD })).ok, false)
    assert.equal(await accounts.setDisabled(user.id, false), true)
    assert.equal((await accounts.authenticate({ email: user.email, password: PASSWORD })).ok, true)
    assert.equal(await accounts.setDisabled(newId('usr'), true), false)
  })
})

describe('password changes and upgrades', () => {
  test('changePassword: wrong current, bad new, same as current, then success', async () => {
    const user = await signUpOk('change@example.com')
    const newPassword = 'a brand new passphrase'
    assert.deepEqual(
      await accounts.changePassword({ userId: user.id, currentPassword: 'wrong!!!', newPassword }),
      {
        ok: false,
        reason: 'invalid_credentials',
      },
    )
    const tooShort = await accounts.changePassword({
      userId: user.id,
      currentPassword: PASSWORD,
      newPassword: 'short',
    })
    assert.ok(!tooShort.ok && tooShort.reason === 'invalid_request')
    assert.equal(tooShort.field, 'new_password')
    const same = await accounts.changePassword({
      userId: user.id,
      currentPassword: PASSWORD,
      newPassword: PASSWORD,
    })
    assert.ok(!same.ok && same.reason === 'invalid_request' && /differ/.test(same.message))
    assert.ok(
      (await accounts.authenticate({ email: user.email, password: PASSWORD })).ok,
      'nothing changed yet',
    )

    clock.advance(60)
    assert.deepEqual(
      await accounts.changePassword({ userId: user.id, currentPassword: PASSWORD, newPassword }),
      { ok: true },
    )
    assert.equal((await accounts.authenticate({ email: user.email, password: PASSWORD })).ok, false)
    assert.ok((await accounts.authenticate({ email: user.email, password: newPassword })).ok)
    assert.equal((await store.users.findById(user.id))?.updatedAt, START_AT + 60)
  })

  test('changePassword for an unknown or disabled user is invalid_credentials after one verify', async () => {
    const user = await signUpOk('change-disabled@example.com')
    await accounts.setDisabled(user.id, true)
    for (const userId of [newId('usr'), user.id]) {
      const { result, operations } = await hashingWorkOf(() =>
        accounts.changePassword({ userId, currentPassword: PASSWORD, newPassword: 'a brand new passphrase' }),
      )
      assert.deepEqual(result, { ok: false, reason: 'invalid_credentials' })
      assert.equal(operations, 1)
    }
  })

  test('a hash with weaker parameters is replaced at the next successful sign-in', async () => {
    const weakHash = await argon2Hash(PASSWORD, { memoryCost: 4096, timeCost: 1, parallelism: 1 })
    const created = await store.users.create({
      id: newId('usr'),
      email: 'legacy@example.com',
      name: null,
      passwordHash: weakHash,
      createdAt: START_AT,
    })
    assert.ok(created.ok)
    assert.ok((await accounts.authenticate({ email: 'legacy@example.com', password: PASSWORD })).ok)
    const upgraded = await store.users.findById(created.user.id)
    assert.match(upgraded?.passwordHash ?? '', /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    assert.ok((await accounts.authenticate({ email: 'legacy@example.com', password: PASSWORD })).ok)
  })

  test('raising the minimum length does not lock out an older, shorter password', async () => {
    await signUpOk('eight@example.com', '8 chars!')
    const stricter = createAccounts({
      store,
      hasher,
      clock,
      passwordBounds: { minLength: 12, maxLength: 1024 },
    })
    assert.ok((await stricter.authenticate({ email: 'eight@example.com', password: '8 chars!' })).ok)
    const outcome = await stricter.signUp({ email: 'new-eight@example.com', password: '8 chars!' })
    assert.ok(!outcome.ok && outcome.reason === 'invalid_request' && outcome.field === 'password')
  })
})

describe('common passwords (passwords.rejectCommon)', () => {
  const common = loadCommonPasswords()

  test('sign-up refuses a listed password in any case, names the field, never echoes it, hashes nothing', async () => {
    const strict = createAccounts({ store, hasher, clock, passwordBounds: bounds, commonPasswords: common })
    for (const password of ['password123', 'PassWord123', 'QWERTYUIOP']) {
      const { result, operations } = await hashingWorkOf(() =>
        strict.signUp({ email: 'common@example.com', password }),
      )
      assert.ok(!result.ok && result.reason === 'invalid_request', password)
      assert.equal(result.field, 'password')
      assert.match(result.message, /too common/)
      assert.doesNotMatch(result.message.toLowerCase(), new RegExp(password.toLowerCase()))
      assert.equal(operations, 0)
    }
    assert.equal(await store.users.findByEmail('common@example.com'), undefined)
    assert.ok((await strict.signUp({ email: 'uncommon@example.com', password: PASSWORD })).ok)
  })

  test('an existing account with a listed password still signs in and can change it, but not to another', async () => {
    const older = await signUpOk('was-common@example.com', 'trustno1')
    assert.ok(common.includes('trustno1'))
    const strict = createAccounts({ store, hasher, clock, passwordBounds: bounds, commonPasswords: common })
    const signIn = await strict.authenticate({ email: 'was-common@example.com', password: 'trustno1' })
    assert.ok(signIn.ok)
    const toCommon = await strict.changePassword({
      userId: older.id,
      currentPassword: 'trustno1',
      newPassword: 'Iloveyou1',
    })
    assert.ok(!toCommon.ok && toCommon.reason === 'invalid_request' && toCommon.field === 'new_password')
    assert.match(toCommon.message, /too common/)
    const changed = await strict.changePassword({
      userId: older.id,
      currentPassword: 'trustno1',
      newPassword: PASSWORD,
    })
    assert.deepEqual(changed, { ok: true })
  })

  test('without the list (rejectCommon off) a listed password is accepted', async () => {
    const outcome = await accounts.signUp({ email: 'lenient@example.com', password: 'password123' })
    assert.ok(outcome.ok)
  })
})

describe('listing users', () => {
  test('pages through users with afterId', async () => {
    const all = await accounts.listUsers({ limit: 1000 })
    assert.ok(all.length >= 3)
    const firstPage = await accounts.listUsers({ limit: 2 })
    assert.deepEqual(
      firstPage.map((user) => user.id),
      all.slice(0, 2).map((user) => user.id),
    )
    const secondPage = await accounts.listUsers({ limit: 2, afterId: firstPage[1]?.id ?? '' })
    assert.deepEqual(
      secondPage.map((user) => user.id),
      all.slice(2, 4).map((user) => user.id),
    )
  })

  test('refuses a nonsense limit', async () => {
    await assert.rejects(accounts.listUsers({ limit: 0 }), RangeError)
    await assert.rejects(accounts.listUsers({ limit: 1001 }), RangeError)
  })
})
