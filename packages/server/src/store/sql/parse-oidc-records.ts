/**
 * Rows of the migration-0003 tables to port records, checked column by column like `parse-records.ts`.
 */
import type { IdentityRecord, OidcLoginRecord } from '../oidc-ports.ts'
import { StoreRowInvalidError } from '../store-errors.ts'
import { readRow } from './row-reader.ts'

const LOGIN_INTENTS: readonly OidcLoginRecord['intent'][] = ['login', 'link']

/**
 * Parses a `user_identities` row.
 *
 * @example
 * const identity = parseIdentityRow(await db.selectFrom('user_identities').selectAll().where('id', '=', id).executeTakeFirstOrThrow())
 */
export function parseIdentityRow(row: unknown): IdentityRecord {
  const r = readRow('user_identities', row)
  return {
    id: r.text('id'),
    userId: r.text('user_id'),
    providerId: r.text('provider_id'),
    issuer: r.text('issuer'),
    subject: r.text('subject'),
    email: r.nullableText('email'),
    emailVerified: r.flag('email_verified'),
    createdAt: r.instant('created_at'),
    lastLoginAt: r.instant('last_login_at'),
    upstreamTokensCiphertext: r.nullableText('upstream_tokens_ciphertext'),
  }
}

/**
 * Parses an `oidc_logins` row. A `link` without a user is rejected like any other broken row: acting on it
 * would attach an upstream identity to nobody the browser proved to be.
 *
 * @example
 * const login = parseOidcLoginRow(row)
 */
export function parseOidcLoginRow(row: unknown): OidcLoginRecord {
  const r = readRow('oidc_logins', row)
  const intent = r.oneOf('intent', LOGIN_INTENTS)
  const userId = r.nullableText('user_id')
  if (intent === 'link' && userId === null) {
    throw new StoreRowInvalidError('oidc_logins.user_id', 'a user id for this intent')
  }
  return {
    stateHash: r.text('state_hash'),
    providerId: r.text('provider_id'),
    browserHash: r.text('browser_hash'),
    returnTo: r.text('return_to'),
    intent,
    userId,
    createdAt: r.instant('created_at'),
    expiresAt: r.instant('expires_at'),
  }
}
