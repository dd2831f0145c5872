import { createHash } from 'node:crypto'
import type { Clock, RandomSource } from '@tessera/core'
import { encryptPrivateKey } from '../../secrets/key-encryption.ts'
import type { IdentityRecord, OidcLoginRecord } from '../../store/oidc-ports.ts'
import type { Store, UserRecord } from '../../store/ports.ts'
import { normalizeEmail } from '../email.ts'
import { newId } from '../ids.ts'
import { isPrintableText } from '../printable-text.ts'
import { type OidcFailure, oidcFailure } from './oidc-id-token.ts'
import type { VerifiedIdentity } from './oidc-login.ts'

export interface OidcAccountDeps {
  readonly store: Store
  readonly clock: Clock
  readonly random: RandomSource
  /** Encrypts kept upstream tokens, like private keys (AES-256-GCM under the server secret). */
  readonly encryptionKey: Buffer
}

export interface OidcAccountPolicy {
  readonly providerId: string
  /** A first login whose verified email belongs to an existing account links to it. */
  readonly linkByVerifiedEmail: boolean
}

export type OidcAccountOutcome =
  | {
      readonly ok: true
      readonly user: UserRecord
      /** `created`: a new account; `linked`: a new identity on an existing one; `returning`: known identity. */
      readonly how: 'created' | 'linked' | 'returning'
    }
  | OidcFailure

/**
 * Finds or creates the Tessera user of an upstream identity, keyed by the provider's `(issuer, subject)` —
 * never by email, which providers let users change (and some never verify: Entra's `email` claim, the
 * "nOAuth" takeover). A first login with an email that an existing account holds links to that account
 * only when the provider says `email_verified: true` and the provider is configured to link; otherwise the
 * login stops with `link_required` (sign in with the password, then link from the account). A new account
 * takes the email only when it is verified, so an unverified address can never squat a real one.
 * `intent: 'link'` attaches the identity to the signed-in user who started the login, unless it already
 * belongs to someone else.
 *
 * @example
 * const outcome = await resolveOidcAccount(deps, identity, login, { providerId: 'google', linkByVerifiedEmail: true })
 */
export async function resolveOidcAccount(
  deps: OidcAccountDeps,
  identity: VerifiedIdentity,
  login: OidcLoginRecord,
  policy: OidcAccountPolicy,
): Promise<OidcAccountOutcome> {
  const { store } = deps
  const known = await store.identities.findBySubject(identity.issuer, identity.subject)
  if (login.intent === 'link') {
    if (login.userId === null) return oidcFailure('invalid_request', 'link_without_user')
    if (known !== undefined && known.userId !== login.userId) {
      return oidcFailure('invalid_request', 'identity_linked_to_another_account')
    }
    const user = await activeUser(deps, login.userId)
    if (user === undefined) return oidcFailure('session_revoked', 'account_disabled')
    if (known === undefined) {
      const linked = await link(deps, identity, user.id, policy)
      if (linked === undefined) return oidcFailure('invalid_request', 'identity_linked_to_another_account')
    } else await recordLogin(deps, known, identity)
    return { ok: true, user, how: known === undefined ? 'linked' : 'returning' }
  }
  if (known !== undefined) {
    const user = await activeUser(deps, known.userId)
    if (user === undefined) return oidcFailure('invalid_credentials', 'account_disabled')
    await recordLogin(deps, known, identity)
    return { ok: true, user, how: 'returning' }
  }
  const email = verifiedEmailOf(identity)
  const holder = email === undefined ? undefined : await store.users.findByEmail(email)
  if (holder === undefined) {
    const normalized = identity.email === null ? undefined : normalizeEmail(identity.email)
    if (normalized?.ok && !identity.emailVerified) {
      const taken = await store.users.findByEmail(normalized.email)
      if (taken !== undefined) return oidcFailure('invalid_credentials', 'link_required')
    }
    return createAccount(deps, identity, email, policy)
  }
  if (!policy.linkByVerifiedEmail) return oidcFailure('invalid_credentials', 'link_required')
  if (holder.disabled) return oidcFailure('invalid_credentials', 'account_disabled')
  const linked = await link(deps, identity, holder.id, policy)
  // Lost a race with a concurrent first login of the same identity: that one linked it; use it.
  if (linked === undefined) return resolveOidcAccount(deps, identity, login, policy)
  return { ok: true, user: holder, how: 'linked' }
}

function verifiedEmailOf(identity: VerifiedIdentity): string | undefined {
  if (!identity.emailVerified || identity.email === null) return undefined
  const normalized = normalizeEmail(identity.email)
  return normalized.ok ? normalized.email : undefined
}

async function activeUser(deps: OidcAccountDeps, userId: string): Promise<UserRecord | undefined> {
  const user = await deps.store.users.findById(userId)
  return user === undefined || user.disabled ? undefined : user
}

async function createAccount(
  deps: OidcAccountDeps,
  identity: VerifiedIdentity,
  email: string | undefined,
  policy: OidcAccountPolicy,
): Promise<OidcAccountOutcome> {
  const now = deps.clock.nowSeconds()
  const name =
    identity.name !== null && isPrintableText(identity.name, { allowWhitespace: true }) ? identity.name : null
  const created = await deps.store.users.create({
    id: newId('usr', deps.random),
    // Without a verified email the account gets a unique placeholder in the reserved `.invalid` domain
    // (RFC 2606): it can never receive mail, collide with a real address, or be used to sign in.
    email: email ?? placeholderEmailOf(identity),
    name,
    passwordHash: null,
    createdAt: now,
  })
  if (!created.ok) return oidcFailure('invalid_credentials', 'link_required')
  const linked = await link(deps, identity, created.user.id, policy)
  if (linked === undefined) return oidcFailure('invalid_request', 'identity_linked_to_another_account')
  return { ok: true, user: created.user, how: 'created' }
}

function placeholderEmailOf(identity: VerifiedIdentity): string {
  const digest = createHash('sha256').update(`${identity.issuer}\n${identity.subject}`, 'utf8').digest('hex')
  return `oidc-${digest.slice(0, 32)}@identity.invalid`
}

async function link(
  deps: OidcAccountDeps,
  identity: VerifiedIdentity,
  userId: string,
  policy: OidcAccountPolicy,
): Promise<IdentityRecord | undefined> {
  const id = newId('idn', deps.random)
  return deps.store.identities.create({
    id,
    userId,
    providerId: policy.providerId,
    issuer: identity.issuer,
    subject: identity.subject,
    email: identity.email,
    emailVerified: identity.emailVerified,
    createdAt: deps.clock.nowSeconds(),
    upstreamTokensCiphertext: upstreamCiphertextOf(deps, identity, id),
  })
}

async function recordLogin(
  deps: OidcAccountDeps,
  known: IdentityRecord,
  identity: VerifiedIdentity,
): Promise<void> {
  await deps.store.identities.recordLogin(known.id, {
    at: deps.clock.nowSeconds(),
    email: identity.email,
    emailVerified: identity.emailVerified,
    upstreamTokensCiphertext:
      upstreamCiphertextOf(deps, identity, known.id) ?? known.upstreamTokensCiphertext,
  })
}

// The identity id is the associated data, so a ciphertext moved to another row fails to decrypt.
function upstreamCiphertextOf(deps: OidcAccountDeps, identity: VerifiedIdentity, id: string): string | null {
  if (identity.upstreamTokens === undefined) return null
  const plaintext = Buffer.from(JSON.stringify(identity.upstreamTokens), 'utf8')
  return encryptPrivateKey(plaintext, { kid: id, key: deps.encryptionKey })
}
