/**
 * The storage ports of the auth server. Each port is narrow and named for its purpose; every method
 * states what happens under concurrent calls, and the adapters (SQLite now, PostgreSQL later) make that
 * true with one atomic primitive (a transaction, `UPDATE … WHERE … RETURNING`, a unique index).
 *
 * Instants are epoch seconds (`…At`). Secrets never reach a port: refresh tokens arrive as SHA-256
 * hashes, passwords as argon2id hashes, private keys as AES-GCM ciphertext.
 */
import type { Identities, OidcLogins } from './oidc-ports.ts'
import type { SecurityEvents } from './security-ports.ts'

/** A user account as stored. `email` is the normalised, case-folded address (the unique key). */
export interface UserRecord {
  readonly id: string
  readonly email: string
  readonly name: string | null
  /** argon2id PHC string; null for accounts that can only sign in through an identity provider. */
  readonly passwordHash: string | null
  readonly disabled: boolean
  /** Tokens issued before this instant are rejected ("revoke everything issued before now"). */
  readonly notBeforeAt: number | null
  readonly createdAt: number
  readonly updatedAt: number
}

export interface NewUser {
  readonly id: string
  readonly email: string
  readonly name: string | null
  readonly passwordHash: string | null
  readonly createdAt: number
}

export type CreateUserOutcome =
  | { readonly ok: true; readonly user: UserRecord }
  | { readonly ok: false; readonly reason: 'email_taken' }

export interface Users {
  /**
   * Inserts a user. Concurrency: of two calls with the same email exactly one resolves `ok: true`; the
   * other resolves `{ ok: false, reason: 'email_taken' }` (a unique index decides, not a read-then-write).
   */
  create(user: NewUser): Promise<CreateUserOutcome>
  findById(id: string): Promise<UserRecord | undefined>
  /** `email` must already be normalised by the caller. */
  findByEmail(email: string): Promise<UserRecord | undefined>
  /** Users ordered by creation then id; `afterId` continues a listing. */
  list(options: { readonly limit: number; readonly afterId?: string }): Promise<UserRecord[]>
  /** Replaces the password hash; false when the user does not exist. Last writer wins. */
  setPasswordHash(id: string, passwordHash: string, at: number): Promise<boolean>
  /** Enables or disables; false when the user does not exist. */
  setDisabled(id: string, disabled: boolean, at: number): Promise<boolean>
  /**
   * Moves the user's not-before instant forward to `at`. Never moves it backwards: concurrent calls
   * leave the greatest value (`SET not_before_at = MAX(not_before_at, :at)` in one statement).
   */
  raiseNotBefore(id: string, at: number): Promise<boolean>
  /**
   * Users whose not-before instant is at or after `since`, oldest first: the revocation feed's snapshot
   * (older not-before times cannot outlive any unexpired token). A read; no concurrency promise beyond a
   * consistent snapshot of committed rows.
   */
  listNotBeforeSince(since: number): Promise<UserNotBeforeRecord[]>
}

/** A user's not-before instant, as the revocation feed publishes it. */
export interface UserNotBeforeRecord {
  readonly userId: string
  readonly notBeforeAt: number
}

export type SessionState = 'active' | 'revoked'

/** One login on one device. */
export interface SessionRecord {
  readonly id: string
  readonly userId: string
  readonly clientId: string
  readonly state: SessionState
  readonly createdAt: number
  readonly lastUsedAt: number
  /** Absolute end of the session, whatever its refresh activity. */
  readonly expiresAt: number
  readonly ip: string | null
  readonly userAgent: string | null
  readonly revokedAt: number | null
  readonly revokedReason: string | null
  /**
   * RFC 7638 thumbprint of the DPoP key the session was started with (RFC 9449 §5): every refresh must be
   * signed by that key. Null when the session is not DPoP-bound.
   */
  readonly dpopJkt: string | null
}

export interface NewSession {
  readonly id: string
  readonly userId: string
  readonly clientId: string
  readonly createdAt: number
  readonly expiresAt: number
  readonly ip: string | null
  readonly userAgent: string | null
  /** Binds the session to this DPoP key thumbprint; absent or null for an unbound session. */
  readonly dpopJkt?: string | null
}

/** Where and with what a session was used: the address and user agent it records. */
export interface SessionUse {
  readonly ip: string | null
  readonly userAgent: string | null
}

export type RefreshTokenState = 'active' | 'rotated' | 'revoked'

/** One refresh token of a session's family, stored only as the SHA-256 of its text. */
export interface RefreshTokenRecord {
  readonly id: string
  readonly sessionId: string
  /** Lower-case hex SHA-256 of the token text. */
  readonly tokenHash: string
  readonly state: RefreshTokenState
  readonly createdAt: number
  /** Idle expiry: min(created + idle lifetime, session expiry). */
  readonly expiresAt: number
  readonly rotatedAt: number | null
  readonly successorId: string | null
}

export interface NewRefreshToken {
  readonly id: string
  readonly tokenHash: string
  readonly expiresAt: number
}

export interface RotateInput {
  /** Hash of the presented token. */
  readonly tokenHash: string
  /** The successor to store if this call is the one that rotates. */
  readonly successor: { readonly id: string; readonly tokenHash: string }
  readonly now: number
  /** Idle lifetime of the successor; its expiry is min(now + idleSeconds, session.expiresAt). */
  readonly idleSeconds: number
  /** A rotated token seen again within this many seconds of its rotation yields the same successor. */
  readonly graceSeconds: number
  /** The client presenting the token; must equal the session's client. */
  readonly clientId: string
  /**
   * Thumbprint of the DPoP key whose proof came with this request, or null without a proof. Must equal the
   * session's `dpopJkt` (both null for an unbound session).
   */
  readonly dpopJkt: string | null
  readonly ip: string | null
  readonly userAgent: string | null
}

/**
 * What one call to {@link Sessions.rotateRefreshToken} found and did.
 * - `rotated`: this call rotated the token; `successor` is the row it inserted.
 * - `grace`: the token was already rotated within the grace window by the same client; `successor` is
 *   the existing successor row (the caller re-derives its text; nothing is written but `last_used_at`).
 * - In both, `previousUse` is the address and user agent the session had recorded before this call (the
 *   rotation overwrites them), for the suspicious-refresh comparison without another read.
 * - In both, `user` is the session's user as read inside the same transaction (so the caller can refuse a
 *   disabled or not-before-barred user without another read); undefined only if that row is missing.
 * - `reused`: the token was rotated before the grace window; this call revoked the whole session and
 *   every refresh token of it, in the same transaction (RFC 9700 §4.14.2).
 * - `session_revoked`: the token or its session was already revoked.
 * - `expired`: the token's idle expiry or the session's absolute expiry has passed (nothing changes).
 * - `client_mismatch`: another client presented the token (nothing changes).
 * - `dpop_mismatch`: the request's DPoP key (or its absence) is not the session's (nothing changes: whoever
 *   lacks the key cannot end the honest holder's session, RFC 9449 §5).
 * - `unknown`: no token has this hash.
 */
export type RotateOutcome =
  | {
      readonly kind: 'rotated'
      readonly session: SessionRecord
      readonly successor: RefreshTokenRecord
      readonly user: UserRecord | undefined
      readonly previousUse: SessionUse
    }
  | {
      readonly kind: 'grace'
      readonly session: SessionRecord
      readonly successor: RefreshTokenRecord
      readonly user: UserRecord | undefined
      readonly previousUse: SessionUse
    }
  | { readonly kind: 'reused'; readonly session: SessionRecord }
  | { readonly kind: 'session_revoked'; readonly session: SessionRecord }
  | { readonly kind: 'expired' }
  | { readonly kind: 'client_mismatch' }
  | { readonly kind: 'dpop_mismatch' }
  | { readonly kind: 'unknown' }

export interface Sessions {
  /** Creates the session and its first refresh token in one transaction. */
  start(session: NewSession, firstToken: NewRefreshToken): Promise<SessionRecord>
  findById(id: string): Promise<SessionRecord | undefined>
  /** Finds the session a refresh token belongs to, whatever the token's state. */
  findByRefreshTokenHash(tokenHash: string): Promise<SessionRecord | undefined>
  /** Active, unexpired sessions of a user, most recently used first. */
  listActiveForUser(userId: string, now: number): Promise<SessionRecord[]>
  /**
   * The refresh state machine in one transaction. Concurrency: of N simultaneous calls with the same
   * token hash exactly one returns `rotated`; the others, which wait for its commit, see the token as
   * rotated and return `grace` with the same successor (or `reused` once the grace window has passed).
   */
  rotateRefreshToken(input: RotateInput): Promise<RotateOutcome>
  /**
   * Revokes a session and every refresh token of it. Returns true if this call changed it from active;
   * false if it was already revoked or does not exist. Idempotent.
   */
  revoke(id: string, change: { readonly at: number; readonly reason: string }): Promise<boolean>
  /**
   * Revokes every active session of a user (except `exceptSessionId`) and their refresh tokens, in one
   * transaction. Returns the ids it revoked.
   */
  revokeAllForUser(
    userId: string,
    change: { readonly at: number; readonly reason: string; readonly exceptSessionId?: string },
  ): Promise<string[]>
  /** Deletes sessions (and their tokens) that ended before `before`; returns how many. */
  purgeEnded(before: number): Promise<number>
  /**
   * Sessions revoked at or after `since`, oldest revocation first: the revocation feed's snapshot. A read
   * of committed rows; a revocation committing concurrently may or may not be included (the live feed
   * carries it either way).
   */
  listRevokedSince(since: number): Promise<RevokedSessionRecord[]>
  /** The refresh token with this hash, whatever its state (introspection asks whether it is the live one). */
  findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | undefined>
}

/** A revoked session, as the revocation feed publishes it. */
export interface RevokedSessionRecord {
  readonly sessionId: string
  readonly userId: string
  readonly revokedAt: number
}

export type SigningKeyState = 'next' | 'current' | 'retired'
export type SigningAlgorithm = 'EdDSA' | 'ES256'

export interface SigningKeyRecord {
  readonly kid: string
  readonly alg: SigningAlgorithm
  readonly state: SigningKeyState
  /** The public JWK as JSON text (no private members). */
  readonly publicJwk: string
  /** AES-256-GCM ciphertext of the PKCS#8 DER private key, see domain/key-encryption.ts. */
  readonly privateKeyCiphertext: string
  readonly createdAt: number
  readonly activatedAt: number | null
  readonly retiredAt: number | null
  /** A retired key stays in the JWKS until this instant (the last token it signed has expired). */
  readonly publishUntil: number | null
}

export interface SigningKeys {
  /** Every key that is `next`, `current`, or `retired` with `publishUntil` > now. */
  listPublished(now: number): Promise<SigningKeyRecord[]>
  listAll(): Promise<SigningKeyRecord[]>
  /**
   * Inserts a key in state `next` or `current`. Concurrency: at most one key is `next` and at most one
   * is `current` (partial unique indexes); a call that would break that resolves false and writes nothing.
   */
  insert(key: SigningKeyRecord): Promise<boolean>
  /**
   * Promotes `nextKid` to current and retires `currentKid` (published until `retiredPublishUntil`), in one
   * transaction. Concurrency: exactly one of several instances calling with the same arguments gets true;
   * false when `nextKid` is no longer next or `currentKid` no longer current.
   */
  promote(change: {
    readonly nextKid: string
    readonly currentKid: string | null
    readonly now: number
    readonly retiredPublishUntil: number
  }): Promise<boolean>
  /** Retires a `next` or `current` key at once (compromise); false if not found or already retired. */
  retire(kid: string, change: { readonly now: number; readonly publishUntil: number }): Promise<boolean>
  /**
   * Takes a key that does not sign out of the JWKS now: a `next` key becomes retired, and a published
   * retired key's `publishUntil` becomes `now` (a compromised key, removed before its tokens expire). Never
   * touches the `current` key, so the ring always keeps its signer, even when the ring moved between the
   * caller's read and this call. Concurrency: one conditional UPDATE, so of simultaneous calls exactly one
   * resolves true; false when the key is unknown, `current`, or no longer published.
   */
  withdraw(kid: string, now: number): Promise<boolean>
  /** Deletes retired keys whose `publishUntil` has passed; returns how many. */
  purgeExpired(now: number): Promise<number>
}

/**
 * A registered service client (RFC 6749 §2). Its id is `cli_…`, a namespace disjoint from user ids
 * `usr_…`, so a client-credentials token's `sub` can never name a user (RFC 9700 §4.15).
 */
export interface ClientRecord {
  readonly id: string
  readonly name: string
  /** Lower-case hex SHA-256 of the client secret; the secret itself is never stored. */
  readonly secretHash: string
  /** RFC 6749 §3.3 scope tokens, sorted, without duplicates. */
  readonly scopes: readonly string[]
  readonly createdAt: number
  readonly disabled: boolean
}

export interface NewClient {
  readonly id: string
  readonly name: string
  readonly secretHash: string
  readonly scopes: readonly string[]
  readonly createdAt: number
}

export interface Clients {
  /**
   * Inserts a client. Ids are 128-bit random, so a collision is a bug: the primary key rejects it and the
   * call rejects (nothing is written).
   */
  create(client: NewClient): Promise<ClientRecord>
  findById(id: string): Promise<ClientRecord | undefined>
  /** Clients ordered by creation then id; `afterId` continues a listing. */
  list(options: { readonly limit: number; readonly afterId?: string }): Promise<ClientRecord[]>
}

export interface TokenUseInput {
  readonly iss: string
  readonly jti: string
  /** The token's `max_uses`; the first consume fixes it for the counter's life. */
  readonly maxUses: number
  /** The token's `exp`: the counter may be purged after it. */
  readonly expiresAt: number
}

export interface TokenUseDecision {
  readonly allowed: boolean
  /** Uses left after this one; 0 when refused. */
  readonly remaining: number
}

export interface TokenUses {
  /**
   * Counts one use of the token `(iss, jti)`. Concurrency: one atomic statement (`INSERT … ON CONFLICT DO
   * UPDATE … WHERE uses < max_uses RETURNING`), so of N simultaneous calls for a token with `max_uses` M
   * exactly min(N, M) are allowed, across every instance sharing the database.
   */
  consume(input: TokenUseInput): Promise<TokenUseDecision>
  /** Deletes counters whose token expired before `now`; returns how many. */
  purgeExpired(now: number): Promise<number>
}

/** Everything durable, behind one handle that owns the connection. */
export interface Store {
  readonly kind: 'sqlite' | 'postgres'
  readonly users: Users
  readonly sessions: Sessions
  readonly signingKeys: SigningKeys
  readonly clients: Clients
  readonly tokenUses: TokenUses
  /** Upstream OpenID Connect identities linked to users (oidc-ports.ts). */
  readonly identities: Identities
  /** One-time login transactions of upstream OpenID Connect sign-in (oidc-ports.ts). */
  readonly oidcLogins: OidcLogins
  /** The append-only security record (security-ports.ts). */
  readonly securityEvents: SecurityEvents
  /** Resolves when the database answers a trivial query; rejects otherwise (readiness). */
  ping(): Promise<void>
  close(): Promise<void>
}
