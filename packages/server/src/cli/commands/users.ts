import { revokeAllSessions } from '../../domain/sessions.ts'
import { type CliIo, EXIT_FAILED, EXIT_OK, printResult, startProgress, UsageError } from '../cli-io.ts'
import { parseCommandArgs, withServices } from '../command-context.ts'
import type { GlobalOptions } from '../main.ts'

const HELP = `Usage: tessera users create --email EMAIL --password-stdin [--name NAME] [--json]
       tessera users list [--limit N] [--after ID] [--json]
       tessera users disable --id USER_ID [--json]

create    creates a password account; the password is read from standard input (never from argv,
          where other users of the machine could see it in the process list)
list      lists accounts, oldest first
disable   disables an account and ends all its sessions
`

/** The first line of stdin, without its line ending: what `echo pw | tessera users create` means. */
function passwordFromStdin(text: string): string {
  return text.replace(/\r?\n$/, '')
}

/**
 * `tessera users create|list|disable` (SPEC §6).
 *
 * @example
 * await runUsers(['create', '--email', 'a@example.com', '--password-stdin', '--json'], globals, io)
 */
export async function runUsers(args: readonly string[], globals: GlobalOptions, io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      email: { type: 'string' },
      name: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      limit: { type: 'string' },
      after: { type: 'string' },
      id: { type: 'string' },
    },
    1,
  )
  const [action] = positionals
  if (values.help || action === undefined) {
    io.stdout(HELP)
    if (action === undefined && !values.help)
      throw new UsageError('users needs an action: create, list or disable')
    return EXIT_OK
  }
  if (action === 'create') {
    if (typeof values.email !== 'string') throw new UsageError('users create needs --email')
    if (values['password-stdin'] !== true) throw new UsageError('users create needs --password-stdin')
    const password = passwordFromStdin(await io.readStdin())
    const name = typeof values.name === 'string' ? values.name : undefined
    return withServices(globals, io, async (services) => {
      const done = startProgress(io, 'hashing the password')
      const outcome = await services.accounts.createUser({
        email: values.email as string,
        password,
        ...(name ? { name } : {}),
      })
      done()
      if (!outcome.ok) {
        const message =
          outcome.reason === 'email_taken' ? 'an account with this email already exists' : outcome.message
        const field = outcome.reason === 'email_taken' ? 'email' : outcome.field
        printResult(io, globals.json, { error: 'invalid_request', field, message }, [
          `cannot create user: ${message}`,
        ])
        return EXIT_FAILED
      }
      printResult(io, globals.json, { id: outcome.user.id, email: outcome.user.email }, [
        `created ${outcome.user.id} ${outcome.user.email}`,
      ])
      return EXIT_OK
    })
  }
  if (action === 'list') {
    const limit = values.limit === undefined ? 100 : Number(values.limit)
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000)
      throw new UsageError('--limit must be an integer from 1 to 10000')
    const after = typeof values.after === 'string' ? values.after : undefined
    return withServices(globals, io, async (services) => {
      const users = await services.accounts.listUsers({ limit, ...(after ? { afterId: after } : {}) })
      const rows = users.map((u) => ({
        id: u.id,
        email: u.email,
        name: u.name,
        disabled: u.disabled,
        created_at: u.createdAt,
      }))
      printResult(
        io,
        globals.json,
        { users: rows },
        rows.map((u) => `${u.id}  ${u.email}${u.disabled ? '  (disabled)' : ''}`),
      )
      return EXIT_OK
    })
  }
  if (action === 'disable') {
    if (typeof values.id !== 'string') throw new UsageError('users disable needs --id')
    const id = values.id
    return withServices(globals, io, async (services) => {
      if (!(await services.accounts.setDisabled(id, true))) {
        printResult(io, globals.json, { error: 'not_found', id }, [`no user ${id}`])
        return EXIT_FAILED
      }
      const ended = await revokeAllSessions(services.sessions, id, { reason: 'user_disabled' })
      printResult(io, globals.json, { id, disabled: true, sessions_revoked: ended.length }, [
        `disabled ${id}; ended ${ended.length} sessions`,
      ])
      return EXIT_OK
    })
  }
  throw new UsageError(`unknown users action '${action}'`)
}
