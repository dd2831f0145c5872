/**
 * PostgreSQL's shortcut for the common case of `Sessions.rotateRefreshToken`: a live token presented by
 * its own client. One statement, in one round trip and one commit, locks the session row, rotates the
 * token, records the use and inserts the successor; the shared write transaction
 * (`sql/rotate-refresh-token.ts`) takes six round trips for the same (BEGIN, a read, three writes, COMMIT).
 * It runs as a named prepared statement, so PostgreSQL plans it once per connection, not on every call.
 *
 * The statement rotates only when the token is active and unexpired and its session active, unexpired,
 * of the presenting client and bound to the request's DPoP key (or, like the request, to none): the
 * `rotate` case of `decideRotation`, whose answer is checked on the row the statement read. Anything else
 * writes nothing and resolves undefined, and the shared transaction decides (grace, reuse, refusals): the
 * rare cases pay one extra round trip.
 *
 * Concurrency: the `subject` CTE takes the session's row lock first (`FOR UPDATE OF s`), the lock order of
 * every writer of a family, and the writes read from it, so they run after it. A caller that waited for
 * that lock sees the session row as committed, but the token row as it was when its statement began;
 * the `UPDATE` of the token re-checks `state = 'active'` on the newest version (READ COMMITTED), finds it
 * rotated, and nothing is written: that caller falls back to the transaction and answers `grace`.
 */
import { CompiledQuery, type Kysely } from 'kysely'
import type { Database } from '../database-schema.ts'
import type { RotateInput, RotateOutcome } from '../ports.ts'
import { decideRotation, previousUseOf, rotationResult } from '../sql/rotation-decision.ts'
import { parseRotationSubject, SUBJECT_COLUMNS_SQL } from '../sql/rotation-statements.ts'

/**
 * The statement's text. Its parameters: $1 token hash, $2 now, $3 successor id, $4 successor hash,
 * $5 client id, $6 ip, $7 user agent, $8 now + idle seconds, $9 the request's DPoP key thumbprint or null. Explicit column lists only, so that a later
 * migration adding a column cannot change the result of the prepared statement.
 */
export const ROTATE_IN_ONE_STATEMENT_SQL = `with subject as (
    select ${SUBJECT_COLUMNS_SQL}
      from refresh_tokens t
      join sessions s on s.id = t.session_id
      left join users u on u.id = s.user_id
     where t.token_hash = $1::text
       for update of s
  ),
  rotated as (
    update refresh_tokens
       set state = 'rotated', rotated_at = $2::bigint, successor_id = $3::text
     where id = (
             select t_id from subject
              where s_state = 'active' and s_client_id = $5::text and s_expires_at > $2::bigint
                and s_dpop_jkt is not distinct from $9::text
           )
       and state = 'active' and expires_at > $2::bigint
    returning id
  ),
  used as (
    update sessions
       set last_used_at = $2::bigint, ip = $6::text, user_agent = $7::text
     where id = (select s_id from subject) and exists (select 1 from rotated)
  ),
  successor as (
    insert into refresh_tokens (id, session_id, token_hash, state, created_at, expires_at, rotated_at, successor_id)
    select $3::text, s_id, $4::text, 'active', $2::bigint, least($8::bigint, s_expires_at), null, null
      from subject
     where exists (select 1 from rotated)
    returning id
  )
  select subject.*, exists (select 1 from successor) as rotated from subject`

/** The name the statement is prepared under on each pooled connection (see `postgres-pool.ts`). */
export const ROTATE_IN_ONE_STATEMENT_NAME = 'tessera_rotate_refresh_token'

/**
 * Rotates a live token in one statement and resolves `rotated`, or writes nothing and resolves undefined.
 *
 * @example
 * const outcome = (await rotateInOneStatement(db, input)) ?? (await runWriteTransaction(db, …))
 */
export async function rotateInOneStatement(
  db: Kysely<Database>,
  input: RotateInput,
): Promise<RotateOutcome | undefined> {
  const { rows } = await db.executeQuery<unknown>(
    CompiledQuery.raw(ROTATE_IN_ONE_STATEMENT_SQL, [
      input.tokenHash,
      input.now,
      input.successor.id,
      input.successor.tokenHash,
      input.clientId,
      input.ip,
      input.userAgent,
      input.now + input.idleSeconds,
      input.dpopJkt,
    ]),
  )
  const [row] = rows
  if (typeof row !== 'object' || row === null || !('rotated' in row) || row.rotated !== true) return undefined
  // The row is the subject as it was before the statement's writes; it must be what the state machine
  // would have rotated. A mismatch is a bug in the SQL above, not bad data: fail loudly.
  const subject = parseRotationSubject(row)
  if (decideRotation(subject, input).kind !== 'rotate') {
    throw new Error('the one-statement rotation disagrees with decideRotation')
  }
  return {
    kind: 'rotated',
    ...rotationResult(subject, input),
    user: subject.user,
    previousUse: previousUseOf(subject),
  }
}
