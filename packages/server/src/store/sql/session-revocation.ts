/**
 * Revoking sessions together with their refresh-token families, inside a write transaction the caller
 * already holds. Shared by logout-style revocation and by reuse detection in the rotation.
 *
 * Lock order: a session row first, then its tokens. Every writer of a family follows it, so on PostgreSQL
 * a revocation racing a rotation queues behind it instead of deadlocking.
 */
import type { Transaction } from 'kysely'
import type { Database } from '../database-schema.ts'
import type { SessionRecord } from '../ports.ts'
import { parseSessionRow } from './parse-records.ts'
import { readRow } from './row-reader.ts'

/** Why and when a session ended. */
export interface RevocationChange {
  readonly at: number
  readonly reason: string
}

/**
 * Moves one active session to `revoked` and revokes every token of its family. Resolves the revoked
 * session, or undefined when it was not active (already revoked, or unknown): nothing is written then.
 *
 * @example
 * const revoked = await runWriteTransaction(db, (trx) => revokeSessionAndTokens(trx, id, { at: now, reason: 'logout' }))
 */
export async function revokeSessionAndTokens(
  trx: Transaction<Database>,
  sessionId: string,
  change: RevocationChange,
): Promise<SessionRecord | undefined> {
  const row = await trx
    .updateTable('sessions')
    .set({ state: 'revoked', revoked_at: change.at, revoked_reason: change.reason })
    .where('id', '=', sessionId)
    .where('state', '=', 'active')
    .returningAll()
    .executeTakeFirst()
  if (row === undefined) return undefined
  await trx
    .updateTable('refresh_tokens')
    .set({ state: 'revoked' })
    .where('session_id', '=', sessionId)
    .where('state', '<>', 'revoked')
    .execute()
  return parseSessionRow(row)
}

/**
 * Revokes every active session of a user but `exceptSessionId`, and all their tokens. Resolves the ids it
 * revoked, sorted.
 *
 * @example
 * const ids = await runWriteTransaction(db, (trx) => revokeSessionsOfUser(trx, userId, { at: now, reason: 'password_changed' }))
 */
export async function revokeSessionsOfUser(
  trx: Transaction<Database>,
  userId: string,
  change: RevocationChange & { readonly exceptSessionId?: string },
): Promise<string[]> {
  const { exceptSessionId } = change
  let revoke = trx
    .updateTable('sessions')
    .set({ state: 'revoked', revoked_at: change.at, revoked_reason: change.reason })
    .where('user_id', '=', userId)
    .where('state', '=', 'active')
  if (exceptSessionId !== undefined) revoke = revoke.where('id', '<>', exceptSessionId)
  const rows = await revoke.returning('id').execute()
  if (rows.length === 0) return []
  const ids = rows.map((row) => readRow('sessions', row).text('id'))
  // A subquery rather than an id list: no bound-parameter limit however many devices a user has. Tokens
  // of sessions revoked earlier are already revoked, so the state filter leaves them untouched.
  await trx
    .updateTable('refresh_tokens')
    .set({ state: 'revoked' })
    .where((eb) =>
      eb(
        'session_id',
        'in',
        eb
          .selectFrom('sessions')
          .select('sessions.id')
          .where('sessions.user_id', '=', userId)
          .where('sessions.state', '=', 'revoked'),
      ),
    )
    .where('state', '<>', 'revoked')
    .execute()
  return ids.sort()
}
