import { registerClient } from '../../domain/service-clients.ts'
import { type CliIo, EXIT_FAILED, EXIT_OK, printResult, UsageError } from '../cli-io.ts'
import { parseCommandArgs, readAction, readPageOptions, withServices } from '../command-context.ts'
import type { GlobalOptions } from '../main.ts'

const HELP = `Usage: tessera clients create --name NAME [--scopes "SCOPE …"] [--json]
       tessera clients list [--limit N] [--after ID] [--json]

create   registers a service client and prints its id and secret; the secret is shown this once and
         stored only as a hash. Meta scopes let the client call Tessera itself:
           revocations:read   GET /v1/revocations (guards)
           tokens:consume     POST /v1/token-uses (guards enforcing max_uses)
           tokens:introspect  POST /oauth/introspect
           tokens:mint        POST /v1/tokens (tokens:mint_users also lets sub be a user id)
           sessions:revoke    POST /oauth/revoke of tokens from password logins
           events:read        GET /v1/admin/events (the security record)
         Any other scope may be granted in the client's access tokens.
list     lists clients, oldest first (never their secrets)
`

/**
 * `tessera clients create|list` (SPEC §6).
 *
 * @example
 * await runClients(['create', '--name', 'orders-api', '--scopes', 'revocations:read', '--json'], globals, io)
 */
export async function runClients(
  args: readonly string[],
  globals: GlobalOptions,
  io: CliIo,
): Promise<number> {
  const parsed = parseCommandArgs(
    args,
    {
      name: { type: 'string' },
      scopes: { type: 'string' },
      limit: { type: 'string' },
      after: { type: 'string' },
    },
    1,
  )
  const { values } = parsed
  const action = readAction(parsed, io, { command: 'clients', actions: ['create', 'list'], help: HELP })
  if (action === undefined) return EXIT_OK
  if (action === 'create') {
    if (typeof values.name !== 'string') throw new UsageError('clients create needs --name')
    const name = values.name
    const scopes = typeof values.scopes === 'string' ? values.scopes : ''
    return withServices(globals, io, async (services) => {
      const outcome = await registerClient(
        { store: services.store, clock: services.clock, random: services.sessions.random },
        { name, scopes },
      )
      if (!outcome.ok) {
        printResult(
          io,
          globals.json,
          { error: 'invalid_request', field: outcome.field, message: outcome.message },
          [`cannot create client: ${outcome.message}`],
        )
        return EXIT_FAILED
      }
      const { client, secret } = outcome
      const created = { clientId: client.id, details: { name: client.name, scopes: client.scopes.join(' ') } }
      await services.securityRecord.record({ type: 'client_created', ...created })
      printResult(
        io,
        globals.json,
        { client_id: client.id, client_secret: secret, name: client.name, scopes: client.scopes },
        [
          `client_id:     ${client.id}`,
          `client_secret: ${secret}`,
          `scopes:        ${client.scopes.join(' ') || '(none)'}`,
          'The secret is shown only now; store it in the service’s secret manager.',
        ],
      )
      return EXIT_OK
    })
  }
  // action === 'list'
  const page = readPageOptions(values)
  return withServices(globals, io, async (services) => {
    const clients = await services.store.clients.list(page)
    const rows = clients.map((c) => ({
      client_id: c.id,
      name: c.name,
      scopes: c.scopes,
      disabled: c.disabled,
      created_at: c.createdAt,
    }))
    printResult(
      io,
      globals.json,
      { clients: rows },
      rows.map(
        (c) => `${c.client_id}  ${c.name}  [${c.scopes.join(' ')}]${c.disabled ? '  (disabled)' : ''}`,
      ),
    )
    return EXIT_OK
  })
}
