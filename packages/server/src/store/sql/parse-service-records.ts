/**
 * Rows of the migration-0002 tables to port records, checked column by column like `parse-records.ts`.
 */
import type { ClientRecord, RevokedSessionRecord, UserNotBeforeRecord } from '../ports.ts'
import { StoreRowInvalidError } from '../store-errors.ts'
import { readRow } from './row-reader.ts'

// RFC 6749 §3.3 scope-token; a stored list that breaks it was not written by this store.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

function parseScopes(text: string): string[] {
  if (text === '') return []
  const scopes = text.split(' ')
  if (!scopes.every((scope) => SCOPE_TOKEN.test(scope))) {
    throw new StoreRowInvalidError('clients.scopes', 'space-separated scope tokens')
  }
  return scopes
}

/**
 * Parses a `clients` row.
 *
 * @example
 * const client = parseClientRow(await db.selectFrom('clients').selectAll().where('id', '=', id).executeTakeFirstOrThrow())
 */
export function parseClientRow(row: unknown): ClientRecord {
  const r = readRow('clients', row)
  return {
    id: r.text('id'),
    name: r.text('name'),
    secretHash: r.text('secret_hash'),
    scopes: parseScopes(r.text('scopes')),
    createdAt: r.instant('created_at'),
    disabled: r.flag('disabled'),
  }
}

/**
 * Parses a `sessions` row reduced to the revocation feed's columns.
 *
 * @example
 * const revoked = rows.map(parseRevokedSessionRow)
 */
export function parseRevokedSessionRow(row: unknown): RevokedSessionRecord {
  const r = readRow('sessions', row)
  return { sessionId: r.text('id'), userId: r.text('user_id'), revokedAt: r.instant('revoked_at') }
}

/**
 * Parses a `users` row reduced to its id and not-before instant.
 *
 * @example
 * const moved = rows.map(parseUserNotBeforeRow)
 */
export function parseUserNotBeforeRow(row: unknown): UserNotBeforeRecord {
  const r = readRow('users', row)
  return { userId: r.text('id'), notBeforeAt: r.instant('not_before_at') }
}
