import type { Clock, RandomSource } from '@tessera/core'
import type { Store, UserRecord } from '../store/ports.ts'
import type { CommonPasswordList } from './common-passwords.ts'
import { normalizeEmail } from './email.ts'
import { newId } from './ids.ts'
import type { PasswordHasher } from './password-hasher.ts'
import { checkPassword, type PasswordBounds } from './password-policy.ts'

export interface AccountsDeps {
  readonly store: Store
  readonly hasher: PasswordHasher
  readonly clock: Clock
  readonly random?: RandomSource
  readonly passwordBounds: PasswordBounds
  /** New passwords on this list are refused (`passwords.rejectCommon`); none are when absent. */
  readonly commonPasswords?: CommonPasswordList
}

export interface NewAccountInput {
  readonly email: string
  readonly password: string
  readonly name?: string
}

export type SignUpOutcome =
  | { readonly ok: true; readonly user: UserRecord }
  | {
      readonly ok: false
      readonly reason: 'invalid_request'
      readonly field: 'email' | 'password' | 'name'
      readonly message: string
    }
  | { readonly ok: false; readonly reason: 'email_taken' }

export type InvalidCredentials = { readonly ok: false; readonly reason: 'invalid_credentials' }

export type AuthenticateOutcome = { readonly ok: true; readonly user: UserRecord } | InvalidCredentials

export type ChangePasswordOutcome =
  | { readonly ok: true }
  | InvalidCredentials
  | {
      readonly ok: false
      readonly reason: 'invalid_request'
      readonly field: 'new_password'
      readonly message: string
    }

/**
 * Every method that hashes or verifies rejects with `HashQueueFullError` (503 + Retry-After) when the
 * password hasher is saturated; every other failure is an outcome, not an exception.
 */
export interface Accounts {
  /** Creates an account with a password. The email is the normalised key; a taken one is `email_taken`. */
  signUp(input: NewAccountInput): Promise<SignUpOutcome>
  /**
   * Checks an email and password. Every failure (unknown email, disabled account, no password, wrong
   * password, an email or password that could never be valid) is the same frozen outcome after one argon2
   * verify, so neither the answer nor its timing tells whether the account exists (SPEC §3).
   */
  authenticate(input: { readonly email: string; readonly password: string }): Promise<AuthenticateOutcome>
  /** Verifies the current password and stores the new one. Revoking other sessions is the caller's job. */
  changePassword(input: {
    readonly userId: string
    readonly currentPassword: string
    readonly newPassword: string
  }): Promise<ChangePasswordOutcome>
  /** The same as `signUp`, for the CLI (`tessera users create`). */
  createUser(input: NewAccountInput): Promise<SignUpOutcome>
  listUsers(options: { readonly limit: number; readonly afterId?: string }): Promise<UserRecord[]>
  /** False when the user does not exist. Revoking the user's sessions is the caller's job. */
  setDisabled(userId: string, disabled: boolean): Promise<boolean>
}

const INVALID_CREDENTIALS: InvalidCredentials = Object.freeze({ ok: false, reason: 'invalid_credentials' })
const MAX_NAME_CODE_POINTS = 200
const MAX_LIST_LIMIT = 1000
// Cc controls, lone surrogates, and the bidi embeddings, overrides and isolates that make a name shown on
// the account page or in an admin listing read differently from what it is (the "Trojan Source" trick).
const FORBIDDEN_IN_NAME = /[\p{Cc}\p{Cs}\u202A-\u202E\u2066-\u2069]/u
// Names the rule, never the password (it may be the user's password elsewhere).
const COMMON_PASSWORD_MESSAGE = 'password is too common: it is on a list of passwords attackers try first'

function checkName(
  name: string,
): { readonly ok: true; readonly name: string } | { readonly ok: false; readonly message: string } {
  const prepared = name.normalize('NFC').trim()
  if (FORBIDDEN_IN_NAME.test(prepared))
    return { ok: false, message: 'name must not contain control characters' }
  const length = [...prepared].length
  if (length < 1 || length > MAX_NAME_CODE_POINTS) {
    return { ok: false, message: `name must be 1 to ${MAX_NAME_CODE_POINTS} characters` }
  }
  return { ok: true, name: prepared }
}

/**
 * The account use cases over the store and the password hasher.
 *
 * Signing in checks the password's shape with the configured maximum but a minimum of 1: the minimum is a
 * rule for choosing a password, and raising it in the config must not lock out accounts whose password
 * predates the change. A stored hash with weaker parameters than the current ones is transparently
 * replaced after a successful sign-in (best effort: a saturated hasher skips it until next time).
 *
 * @example
 * const accounts = createAccounts({ store, hasher, clock: systemClock, passwordBounds: { minLength: 8, maxLength: 1024 } })
 * const outcome = await accounts.authenticate({ email: 'Ada@Example.com', password: 'correct horse battery' })
 * if (!outcome.ok) throw createError('invalid_credentials')
 */
export function createAccounts(deps: AccountsDeps): Accounts {
  const verifyBounds: PasswordBounds = { minLength: 1, maxLength: deps.passwordBounds.maxLength }

  async function createAccount(input: NewAccountInput): Promise<SignUpOutcome> {
    const email = normalizeEmail(input.email)
    if (!email.ok) return { ok: false, reason: 'invalid_request', field: 'email', message: email.message }
    const password = checkPassword(input.password, deps.passwordBounds)
    if (!password.ok)
      return { ok: false, reason: 'invalid_request', field: 'password', message: password.message }
    if (deps.commonPasswords?.includes(password.password) === true)
      return { ok: false, reason: 'invalid_request', field: 'password', message: COMMON_PASSWORD_MESSAGE }
    let name: string | null = null
    if (input.name !== undefined) {
      const checked = checkName(input.name)
      if (!checked.ok)
        return { ok: false, reason: 'invalid_request', field: 'name', message: checked.message }
      name = checked.name
    }
    const passwordHash = await deps.hasher.hash(password.password)
    // The unique index decides between two concurrent sign-ups, not a lookup before the insert.
    return deps.store.users.create({
      id: newId('usr', deps.random),
      email: email.email,
      name,
      passwordHash,
      createdAt: deps.clock.nowSeconds(),
    })
  }

  async function rehashIfWeaker(user: UserRecord, storedHash: string, password: string): Promise<void> {
    if (!deps.hasher.needsRehash(storedHash)) return
    try {
      await deps.store.users.setPasswordHash(
        user.id,
        await deps.hasher.hash(password),
        deps.clock.nowSeconds(),
      )
    } catch {
      // Best effort: the sign-in already succeeded; the upgrade happens at a later one.
    }
  }

  async function authenticate(input: {
    readonly email: string
    readonly password: string
  }): Promise<AuthenticateOutcome> {
    const email = normalizeEmail(input.email)
    const password = checkPassword(input.password, verifyBounds)
    if (!email.ok || !password.ok) {
      // No shortcut: a malformed email must cost what an unknown one costs.
      await deps.hasher.verifyDummy(typeof input.password === 'string' ? input.password : '')
      return INVALID_CREDENTIALS
    }
    const user = await deps.store.users.findByEmail(email.email)
    if (user === undefined || user.passwordHash === null) {
      await deps.hasher.verifyDummy(password.password)
      return INVALID_CREDENTIALS
    }
    const isMatch = await deps.hasher.verify(user.passwordHash, password.password)
    // A disabled account is refused only after the verify, so it costs and looks like a wrong password.
    if (!isMatch || user.disabled) return INVALID_CREDENTIALS
    await rehashIfWeaker(user, user.passwordHash, password.password)
    return { ok: true, user }
  }

  async function changePassword(input: {
    readonly userId: string
    readonly currentPassword: string
    readonly newPassword: string
  }): Promise<ChangePasswordOutcome> {
    const next = checkPassword(input.newPassword, deps.passwordBounds)
    if (!next.ok)
      return { ok: false, reason: 'invalid_request', field: 'new_password', message: next.message }
    if (deps.commonPasswords?.includes(next.password) === true)
      return { ok: false, reason: 'invalid_request', field: 'new_password', message: COMMON_PASSWORD_MESSAGE }
    const current = checkPassword(input.currentPassword, verifyBounds)
    if (current.ok && current.password === next.password) {
      return {
        ok: false,
        reason: 'invalid_request',
        field: 'new_password',
        message: 'new password must differ from the current one',
      }
    }
    const user = await deps.store.users.findById(input.userId)
    if (!current.ok || user === undefined || user.passwordHash === null) {
      await deps.hasher.verifyDummy(current.ok ? current.password : '')
      return INVALID_CREDENTIALS
    }
    const isMatch = await deps.hasher.verify(user.passwordHash, current.password)
    if (!isMatch || user.disabled) return INVALID_CREDENTIALS
    const passwordHash = await deps.hasher.hash(next.password)
    const isStored = await deps.store.users.setPasswordHash(user.id, passwordHash, deps.clock.nowSeconds())
    return isStored ? { ok: true } : INVALID_CREDENTIALS
  }

  return {
    signUp: createAccount,
    createUser: createAccount,
    authenticate,
    changePassword,
    async listUsers(options) {
      if (!Number.isSafeInteger(options.limit) || options.limit < 1 || options.limit > MAX_LIST_LIMIT) {
        throw new RangeError(`limit must be an integer from 1 to ${MAX_LIST_LIMIT}`)
      }
      return deps.store.users.list(options)
    },
    async setDisabled(userId, disabled) {
      return deps.store.users.setDisabled(userId, disabled, deps.clock.nowSeconds())
    },
  }
}
