/**
 * The reads behind the revocation feed's snapshot and token introspection, shared by `SqlSessions` and
 * `SqlUsers`: recent revocations, recent not-before moves, and one refresh token by hash.
 */
import type { Kysely } from 'kysely'
import type { Database } from '../database-schema.ts'
import type { RefreshTokenRecord, RevokedSessionRecord, UserNotBeforeRecord } from '../ports.ts'
import { parseRefreshTokenRow } from './parse-records.ts'
import { parseRevokedSessionRow, parseUserNotBeforeRow } from './parse-service-records.ts'

/**
 * Sessions revoked at or after `since`, oldest first (`Sessions.listRevokedSince`).
 *
 * @example
 * const recent = await listRevokedSessionsSince(db, now - 905)
 */
export async function listRevokedSessionsSince(
  db: Kysely<Database>,
  since: number,
): Promise<RevokedSessionRecord[]> {
  const rows = await db
    .selectFrom('sessions')
    .select(['id', 'user_id', 'revoked_at'])
    .where('state', '=', 'revoked')
    .where('revoked_at', '>=', since)
    .orderBy('revoked_at')
    .orderBy('id')
    .execute()
  return rows.map(parseRevokedSessionRow)
}

/**
 * Users whose not-before instant is at or after `since`, oldest first (`Users.listNotBeforeSince`).
 *
 * @example
 * const moved = await listNotBeforeSince(db, now - 905)
 */
export async function listNotBeforeSince(
  db: Kysely<Database>,
  since: number,
): Promise<UserNotBeforeRecord[]> {
  const rows = await db
    .selectFrom('users')
    .select(['id', 'not_before_at'])
    .where('not_before_at', '>=', since)
    .orderBy('not_before_at')
    .orderBy('id')
    .execute()
  return rows.map(parseUserNotBeforeRow)
}

/**
 * One refresh token by the hash of its text, whatever its state (`Sessions.findRefreshToken`).
 *
 * @example
 * const token = await findRefreshTokenByHash(db, hashRefreshToken(text))
 */
export async function findRefreshTokenByHash(
  db: Kysely<Database>,
  tokenHash: string,
): Promise<RefreshTokenRecord | undefined> {
  const row = await db
    .selectFrom('refresh_tokens')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst()
  return row === undefined ? undefined : parseRefreshTokenRow(row)
}
