/**
 * The ports of sign-in through upstream OpenID Connect providers: the identities linked to users, and the
 * one-time login transactions between `/v1/oidc/{id}/start` and its callback. Part of `Store`
 * (ports.ts); the SQL adapters are `sql/identities-sql.ts` and `sql/oidc-logins-sql.ts`.
 */

/** One upstream identity linked to a Tessera user, keyed by the provider's `(issuer, subject)`. */
export interface IdentityRecord {
  readonly id: string
  readonly userId: string
  /** The configured provider id (`google`, `entra`, …) it was linked through. */
  readonly providerId: string
  /** The ID token's `iss`: for Entra multi-tenant, the tenant's own issuer, never the `{tenantid}` template. */
  readonly issuer: string
  /** The ID token's `sub` (at most 255 characters, OIDC Core §2). */
  readonly subject: string
  /** The email the provider asserted at the last login, if any. */
  readonly email: string | null
  readonly emailVerified: boolean
  readonly createdAt: number
  readonly lastLoginAt: number
  /** The upstream tokens (AES-256-GCM under a key derived from the server secret), only when configured. */
  readonly upstreamTokensCiphertext: string | null
}

export type NewIdentity = Omit<IdentityRecord, 'lastLoginAt'>

export interface Identities {
  /** The identity of `(issuer, subject)`, if linked. */
  findBySubject(issuer: string, subject: string): Promise<IdentityRecord | undefined>
  /**
   * Links an identity. Concurrency: `(issuer, subject)` is unique; of two concurrent links of the same
   * pair exactly one succeeds and the other resolves `undefined` (the caller reloads the winner).
   */
  create(identity: NewIdentity): Promise<IdentityRecord | undefined>
  /** Every identity of a user, oldest first. */
  listForUser(userId: string): Promise<IdentityRecord[]>
  /** Records a login: the time, and the email and verification the provider asserted this time. */
  recordLogin(
    id: string,
    update: {
      readonly at: number
      readonly email: string | null
      readonly emailVerified: boolean
      readonly upstreamTokensCiphertext: string | null
    },
  ): Promise<void>
  /** Unlinks one identity of this user; false when it does not exist or belongs to another user. */
  delete(userId: string, id: string): Promise<boolean>
}

/** What a login transaction remembers between start and callback. */
export interface OidcLoginRecord {
  /** SHA-256 (base64url) of the `state` sent to the provider: the row's key, never the state itself. */
  readonly stateHash: string
  readonly providerId: string
  /** SHA-256 (base64url) of the browser-binding cookie set at start (`__Host-tessera-oidc`). */
  readonly browserHash: string
  /** Where to send the browser afterwards: a relative path or an allowed origin's URL, checked at start. */
  readonly returnTo: string
  /** `login`, or `link` to attach the identity to `userId` (a signed-in user linking a provider). */
  readonly intent: 'login' | 'link'
  readonly userId: string | null
  readonly createdAt: number
  readonly expiresAt: number
}

export interface OidcLogins {
  create(login: OidcLoginRecord): Promise<void>
  /**
   * Takes the transaction of `stateHash` if it is unconsumed and unexpired at `now`, marking it consumed.
   * Concurrency: one atomic conditional update — of N concurrent callbacks with the same state exactly one
   * receives the record; the others (a replayed callback) receive `undefined`.
   */
  consume(stateHash: string, now: number): Promise<OidcLoginRecord | undefined>
  /** Deletes transactions that expired before `before`; returns how many. */
  purgeExpired(before: number): Promise<number>
}
