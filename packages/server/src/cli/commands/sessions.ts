import { isId } from '../../domain/ids.ts'
import { revokeAllSessions, revokeSession } from '../../domain/sessions.ts'
import type { Services } from '../../services.ts'
import type { SessionRecord } from '../../store/ports.ts'
import { type CliIo, EXIT_FAILED, EXIT_OK, printResult, UsageError } from '../cli-io.ts'
import { parseCommandArgs, readAction, withServices } from '../command-context.ts'
import type { GlobalOptions } from '../main.ts'
import { findUserByArgument, parseUserArgument, type UserArgument } from '../user-argument.ts'

const HELP = `Usage: tessera sessions list --user USER_ID|EMAIL [--json]
       tessera sessions revoke --id SESSION_ID [--json]
       tessera sessions revoke --user USER_ID|EMAIL [--json]

list     the user's active sessions (not revoked, not expired), most recently used first: client,
         created, last used, address, user agent, and whether the session is DPoP-bound
revoke   --id ends one session: its refresh token stops working at once, and guards refuse its access
         tokens (session_revoked) as soon as the servers' revocation feed carries it (within a second;
         at once with Redis). Revoking a session that already ended changes nothing and exits 0.
         --user ends every session of the user and moves the user's not-before to now, so every token
         issued to the user before now is refused, including tokens minted without a session.
`

/** The revocation reason stored on the session; the security record files it under cause `admin`. */
const ADMIN_REVOKED = 'admin_revoked'

function iso(at: number): string {
  return new Date(at * 1000).toISOString()
}

/**
 * User agents are chosen by whoever signed in: escape control characters (C0, C1, line separators) so
 * one cannot rewrite the operator's terminal or forge lines in the listing.
 */
function shownText(text: string | null): string {
  if (text === null) return '-'
  return text.replace(
    /[\p{Cc}\u2028\u2029]/gu,
    (char) => `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`,
  )
}

function sessionRow(session: SessionRecord): Record<string, unknown> {
  return {
    id: session.id,
    client_id: session.clientId,
    created_at: session.createdAt,
    last_used_at: session.lastUsedAt,
    expires_at: session.expiresAt,
    ip: session.ip,
    user_agent: session.userAgent,
    dpop_bound: session.dpopJkt !== null,
  }
}

function sessionLine(session: SessionRecord): string {
  const binding = session.dpopJkt === null ? 'bearer' : 'DPoP'
  const used = `last used ${iso(session.lastUsedAt)}  created ${iso(session.createdAt)}`
  return `${session.id}  ${session.clientId}  ${used}  ${session.ip ?? '-'}  ${binding}  ${shownText(session.userAgent)}`
}

function userNotFound(io: CliIo, json: boolean): number {
  printResult(io, json, { error: 'not_found', field: 'user' }, ['no account has that user id or email'])
  return EXIT_FAILED
}

async function listSessions(
  services: Services,
  io: CliIo,
  json: boolean,
  who: UserArgument,
): Promise<number> {
  const user = await findUserByArgument(services.store, who)
  if (user === undefined) return userNotFound(io, json)
  const sessions = await services.store.sessions.listActiveForUser(user.id, services.clock.nowSeconds())
  const heading = `${sessions.length} active session${sessions.length === 1 ? '' : 's'} of ${user.id} (${user.email})`
  printResult(io, json, { user_id: user.id, sessions: sessions.map(sessionRow) }, [
    heading,
    ...sessions.map(sessionLine),
  ])
  return EXIT_OK
}

async function revokeOne(services: Services, io: CliIo, json: boolean, id: string): Promise<number> {
  const session = await services.store.sessions.findById(id)
  if (session === undefined) {
    printResult(io, json, { error: 'not_found', field: 'id' }, [`no session ${id}`])
    return EXIT_FAILED
  }
  // The domain function tells the guards and records `session_revoked` (cause admin, actor cli).
  const changed =
    session.state === 'active' && (await revokeSession(services.sessions, session.userId, id, ADMIN_REVOKED))
  printResult(
    io,
    json,
    { user_id: session.userId, sessions_revoked: changed ? [id] : [], already_revoked: !changed },
    [changed ? `revoked ${id} of ${session.userId}` : `${id} was already revoked; nothing changed`],
  )
  return EXIT_OK
}

async function revokeAllOf(services: Services, io: CliIo, json: boolean, who: UserArgument): Promise<number> {
  const user = await findUserByArgument(services.store, who)
  if (user === undefined) return userNotFound(io, json)
  const revoked = await revokeAllSessions(services.sessions, user.id, { reason: ADMIN_REVOKED })
  const notBefore = (await services.store.users.findById(user.id))?.notBeforeAt ?? null
  printResult(io, json, { user_id: user.id, sessions_revoked: revoked, not_before: notBefore }, [
    `revoked ${revoked.length} session${revoked.length === 1 ? '' : 's'} of ${user.id} (${user.email})`,
    ...revoked,
    `tokens issued to ${user.id} before ${notBefore === null ? 'now' : iso(notBefore)} are refused`,
  ])
  return EXIT_OK
}

/**
 * `tessera sessions list|revoke` (SPEC §6): an operator's view of a user's sign-ins, and the way to end them.
 *
 * @example
 * await runSessions(['revoke', '--user', 'ada@example.com', '--json'], globals, io)
 */
export async function runSessions(
  args: readonly string[],
  globals: GlobalOptions,
  io: CliIo,
): Promise<number> {
  const parsed = parseCommandArgs(args, { user: { type: 'string' }, id: { type: 'string' } }, 1)
  const { values } = parsed
  const action = readAction(parsed, io, { command: 'sessions', actions: ['list', 'revoke'], help: HELP })
  if (action === undefined) return EXIT_OK
  const who = typeof values.user === 'string' ? parseUserArgument(values.user) : undefined
  const id = typeof values.id === 'string' ? values.id : undefined
  if (action === 'list') {
    if (id !== undefined) throw new UsageError('sessions list takes --user, not --id')
    if (who === undefined) throw new UsageError('sessions list needs --user')
    return withServices(globals, io, (services) => listSessions(services, io, globals.json, who))
  }
  // action === 'revoke'
  if (id !== undefined && who !== undefined)
    throw new UsageError('sessions revoke takes --id or --user, not both')
  if (who !== undefined)
    return withServices(globals, io, (services) => revokeAllOf(services, io, globals.json, who))
  if (id === undefined) throw new UsageError('sessions revoke needs --id or --user')
  if (!isId('ses', id)) throw new UsageError('--id must be a session id (ses_…)')
  return withServices(globals, io, (services) => revokeOne(services, io, globals.json, id))
}
