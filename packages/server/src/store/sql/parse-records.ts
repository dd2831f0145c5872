/**
 * Rows to port records. The only way a database value reaches the domain: every column is checked for
 * type and, for enums, for a known value (see `row-reader.ts`).
 */
import type {
  RefreshTokenRecord,
  RefreshTokenState,
  SessionRecord,
  SessionState,
  SigningAlgorithm,
  SigningKeyRecord,
  SigningKeyState,
  UserRecord,
} from '../ports.ts'
import { readRow } from './row-reader.ts'

const SESSION_STATES: readonly SessionState[] = ['active', 'revoked']
const REFRESH_TOKEN_STATES: readonly RefreshTokenState[] = ['active', 'rotated', 'revoked']
const SIGNING_KEY_STATES: readonly SigningKeyState[] = ['next', 'current', 'retired']
const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['EdDSA', 'ES256']

/**
 * Parses a `users` row.
 *
 * @example
 * const user = parseUserRow(await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow())
 */
export function parseUserRow(row: unknown): UserRecord {
  const r = readRow('users', row)
  return {
    id: r.text('id'),
    email: r.text('email'),
    name: r.nullableText('name'),
    passwordHash: r.nullableText('password_hash'),
    disabled: r.flag('disabled'),
    notBeforeAt: r.nullableInstant('not_before_at'),
    createdAt: r.instant('created_at'),
    updatedAt: r.instant('updated_at'),
  }
}

/**
 * Parses a `sessions` row.
 *
 * @example
 * const session = parseSessionRow(await db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirstOrThrow())
 */
export function parseSessionRow(row: unknown): SessionRecord {
  const r = readRow('sessions', row)
  return {
    id: r.text('id'),
    userId: r.text('user_id'),
    clientId: r.text('client_id'),
    state: r.oneOf('state', SESSION_STATES),
    createdAt: r.instant('created_at'),
    lastUsedAt: r.instant('last_used_at'),
    expiresAt: r.instant('expires_at'),
    ip: r.nullableText('ip'),
    userAgent: r.nullableText('user_agent'),
    revokedAt: r.nullableInstant('revoked_at'),
    revokedReason: r.nullableText('revoked_reason'),
    dpopJkt: r.nullableText('dpop_jkt'),
  }
}

/**
 * Parses a `refresh_tokens` row.
 *
 * @example
 * const token = parseRefreshTokenRow(await db.selectFrom('refresh_tokens').selectAll().where('id', '=', id).executeTakeFirstOrThrow())
 */
export function parseRefreshTokenRow(row: unknown): RefreshTokenRecord {
  const r = readRow('refresh_tokens', row)
  return {
    id: r.text('id'),
    sessionId: r.text('session_id'),
    tokenHash: r.text('token_hash'),
    state: r.oneOf('state', REFRESH_TOKEN_STATES),
    createdAt: r.instant('created_at'),
    expiresAt: r.instant('expires_at'),
    rotatedAt: r.nullableInstant('rotated_at'),
    successorId: r.nullableText('successor_id'),
  }
}

/**
 * Parses a `signing_keys` row.
 *
 * @example
 * const keys = (await db.selectFrom('signing_keys').selectAll().execute()).map(parseSigningKeyRow)
 */
export function parseSigningKeyRow(row: unknown): SigningKeyRecord {
  const r = readRow('signing_keys', row)
  return {
    kid: r.text('kid'),
    alg: r.oneOf('alg', SIGNING_ALGORITHMS),
    state: r.oneOf('state', SIGNING_KEY_STATES),
    publicJwk: r.text('public_jwk'),
    privateKeyCiphertext: r.text('private_key_ciphertext'),
    createdAt: r.instant('created_at'),
    activatedAt: r.nullableInstant('activated_at'),
    retiredAt: r.nullableInstant('retired_at'),
    publishUntil: r.nullableInstant('publish_until'),
  }
}
