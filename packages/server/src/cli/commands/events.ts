import { normalizeEmail } from '../../domain/email.ts'
import { isId } from '../../domain/ids.ts'
import { type EventQueryField, parseEventQuery } from '../../domain/security-event-query.ts'
import { SECURITY_EVENT_TYPES } from '../../domain/security-event-types.ts'
import { type SecurityEventView, securityEventView } from '../../domain/security-event-view.ts'
import type { Store } from '../../store/ports.ts'
import { type CliIo, EXIT_FAILED, EXIT_OK, printResult, UsageError } from '../cli-io.ts'
import { parseCommandArgs, withServices } from '../command-context.ts'
import type { GlobalOptions } from '../main.ts'

const HELP = `Usage: tessera events [--user ID|EMAIL] [--type TYPE] [--since WHEN] [--until WHEN]
                      [--limit N] [--cursor ID] [--json]

Lists the security record, newest first (docs/security.md, "Security record").

--user     a user id (usr_…) or the email of an account
--type     one event type:
             ${SECURITY_EVENT_TYPES.join(', ')}
--since    events at or after WHEN: an RFC 3339 time (2024-05-01T12:00:00Z, 2024-05-01) or an age
           (3600 seconds ago; 15m, 2h and 7d work too)
--until    events before WHEN, in the same forms
--limit    1–1000, default 100
--cursor   continue after this event id (the next_cursor of a --json listing)
`

/** The flag each parsed field came from. */
const FLAGS: Readonly<Record<EventQueryField, string>> = {
  user: '--user',
  type: '--type',
  since: '--since',
  until: '--until',
  cursor: '--cursor',
  limit: '--limit',
}

/** `--user` as a user id: an id as given, an email looked up (undefined when no account has it). */
async function resolveUser(store: Store, text: string): Promise<string | undefined> {
  if (isId('usr', text)) return text
  const email = normalizeEmail(text)
  if (!email.ok) throw new UsageError('--user must be a user id (usr_…) or an email address')
  return (await store.users.findByEmail(email.email))?.id
}

function humanLine(event: SecurityEventView): string {
  const when = new Date(event.at * 1000).toISOString()
  const who = event.user_id ?? '-'
  const where = event.ip ?? '-'
  return `${when}  ${event.type.padEnd(22)}  ${who}  ${where}  ${JSON.stringify(event.details)}`
}

/**
 * `tessera events`: lists security events with the same filters as `GET /v1/admin/events`.
 *
 * @example
 * await runEvents(['--type', 'login_failed', '--since', '1h', '--json'], globals, io)
 */
export async function runEvents(args: readonly string[], globals: GlobalOptions, io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      user: { type: 'string' },
      type: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      limit: { type: 'string' },
      cursor: { type: 'string' },
    },
    0,
  )
  if (values.help) {
    io.stdout(HELP)
    return EXIT_OK
  }
  const text = (name: string): string | undefined => {
    const value = values[name]
    return typeof value === 'string' ? value : undefined
  }
  // Checked before any database work, so a typo costs no start-up; --user is checked again once resolved.
  const query = { type: text('type'), since: text('since'), until: text('until'), cursor: text('cursor') }
  const precheck = parseEventQuery({ ...query, limit: text('limit') }, { now: 0, relativeTimes: true })
  if (!precheck.ok) throw new UsageError(`${FLAGS[precheck.field]}: ${precheck.message}`)
  const userText = text('user')
  return withServices(globals, io, async (services) => {
    const user = userText === undefined ? undefined : await resolveUser(services.store, userText)
    if (userText !== undefined && user === undefined) {
      printResult(io, globals.json, { error: 'not_found', field: 'user' }, ['no account has that email'])
      return EXIT_FAILED
    }
    const parsed = parseEventQuery(
      { ...query, limit: text('limit'), user },
      { now: services.clock.nowSeconds(), relativeTimes: true },
    )
    if (!parsed.ok) throw new UsageError(`${FLAGS[parsed.field]}: ${parsed.message}`)
    const events = (await services.store.securityEvents.list(parsed.filter)).map(securityEventView)
    const last = events.at(-1)
    const nextCursor = last !== undefined && events.length === parsed.filter.limit ? last.id : null
    const lines = events.length === 0 ? ['no events'] : events.map(humanLine)
    if (nextCursor !== null) lines.push(`more: --cursor ${nextCursor}`)
    printResult(io, globals.json, { events, next_cursor: nextCursor }, lines)
    return EXIT_OK
  })
}
