import { revokeAllSessions } from '../../domain/sessions.ts'
import { type CliIo, EXIT_FAILED, EXIT_OK, printResult, startProgress, UsageError } from '../cli-io.ts'
import { parseCommandArgs, readAction, readPageOptions, withServices } from '../command-context.ts'
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
  const parsed = parseCommandArgs(
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
  const { values } = parsed
  const action = readAction(parsed, io, {
    command: 'users',
    actions: ['create', 'list', 'disable'],
    help: HELP,
  })
  if (action === undefined) return EXIT_OK
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
      const signedUp = { userId: outcome.user.id, details: { method: 'cli' } } as const
      await services.securityRecord.record({ type: 'signup', ...signedUp })
      printResult(io, globals.json, { id: outcome.user.id, email: outcome.user.email }, [
        `created ${outcome.user.id} ${outcome.user.email}`,
      ])
      return EXIT_OK
    })
  }
  if (action === 'list') {
    const page = readPageOptions(values)
    return withServices(globals, io, async (services) => {
      const users = await services.accounts.listUsers(page)
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
  // action === 'disable'
  if (typeof values.id !== 'string') throw new UsageError('users disable needs --id')
  const id = values.id
  return withServices(globals, io, async (services) => {
    if (!(await services.accounts.setDisabled(id, true))) {
      printResult(io, globals.json, { error: 'not_found', id }, [`no user ${id}`])
      return EXIT_FAILED
    }
    const ended = await revokeAllSessions(services.sessions, id, { reason: 'user_disabled' })
    const disabled = { userId: id, details: { sessions_revoked: ended.length } }
    await services.securityRecord.record({ type: 'user_disabled', ...disabled })
    printResult(io, globals.json, { id, disabled: true, sessions_revoked: ended.length }, [
      `disabled ${id}; ended ${ended.length} sessions`,
    ])
    return EXIT_OK
  })
}
