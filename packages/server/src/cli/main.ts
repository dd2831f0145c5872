import { parseArgs } from 'node:util'
import { ConfigError } from '../config/config-error.ts'
import { type CliIo, EXIT_FAILED, EXIT_OK, EXIT_USAGE, processIo, UsageError } from './cli-io.ts'
import { runClients } from './commands/clients.ts'
import { runConfigCheck } from './commands/config-check.ts'
import { runEvents } from './commands/events.ts'
import { runKeys } from './commands/keys.ts'
import { runMigrate } from './commands/migrate.ts'
import { runServe } from './commands/serve.ts'
import { runSessions } from './commands/sessions.ts'
import { runToken } from './commands/token-inspect.ts'
import { runUsers } from './commands/users.ts'

/** Options every command understands. */
export interface GlobalOptions {
  readonly configFile: string | undefined
  readonly json: boolean
}

export type Command = (args: readonly string[], globals: GlobalOptions, io: CliIo) => Promise<number>

const COMMANDS: Readonly<Record<string, { readonly run: Command; readonly summary: string }>> = {
  serve: { run: runServe, summary: 'start the auth server' },
  migrate: { run: runMigrate, summary: 'bring the database schema up to date' },
  keys: { run: runKeys, summary: 'keys list | keys rotate | keys retire: the signing key ring' },
  users: { run: runUsers, summary: 'users create | users list | users disable: password accounts' },
  sessions: { run: runSessions, summary: "sessions list | sessions revoke: a user's sign-ins" },
  config: { run: runConfigCheck, summary: 'config check: validate the configuration and print it' },
  clients: { run: runClients, summary: 'clients create | clients list: service clients' },
  token: { run: runToken, summary: 'token inspect: decode and verify an access token' },
  events: { run: runEvents, summary: 'events [--user] [--type] [--since]: the security record' },
}

const HELP = `Usage: tessera <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)}${c.summary}`)
  .join('\n')}

Global options:
  --config FILE   JSON config file (default: $TESSERA_CONFIG or ./tessera.config.json if present)
  --json          print a JSON document on stdout
  --help          show help for a command

Exit codes: 0 ok, 1 failed, 2 usage.
`

/**
 * Runs the `tessera` CLI and resolves to its exit code. Global options may stand before or after the
 * command; everything else belongs to the command.
 *
 * @example
 * process.exitCode = await main(['keys', 'rotate', '--json'])
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let parsed: ReturnType<typeof parseGlobals>
  try {
    parsed = parseGlobals(argv)
  } catch (error) {
    io.stderr(`tessera: ${(error as Error).message}\n\n${HELP}`)
    return EXIT_USAGE
  }
  const [name, ...rest] = parsed.positionals
  if (name === undefined || name === 'help' || (parsed.help && name === undefined)) {
    io.stdout(HELP)
    return name === undefined && !parsed.help ? EXIT_USAGE : EXIT_OK
  }
  const command = COMMANDS[name]
  if (!command) {
    io.stderr(`tessera: unknown command '${name}'\n\n${HELP}`)
    return EXIT_USAGE
  }
  const args = parsed.help ? [...rest, '--help'] : rest
  try {
    return await command.run(args, { configFile: parsed.configFile, json: parsed.json }, io)
  } catch (error) {
    return reportFailure(error, io, parsed.json)
  }
}

function parseGlobals(argv: readonly string[]): {
  positionals: string[]
  configFile: string | undefined
  json: boolean
  help: boolean
} {
  const globals = parseArgs({
    args: [...argv],
    options: { config: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    strict: false,
    allowPositionals: true,
  })
  // With strict: false, unknown flags stay in `tokens`; commands re-parse their own arguments strictly.
  const positionals: string[] = []
  const consumed = new Set(['--config', '--json', '--help', '-h'])
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--config') {
      i++
      continue
    }
    if (arg.startsWith('--config=') || consumed.has(arg)) continue
    positionals.push(arg)
  }
  const configFile = globals.values.config
  if (configFile !== undefined && typeof configFile !== 'string')
    throw new UsageError('--config needs a file name')
  return { positionals, configFile, json: globals.values.json === true, help: globals.values.help === true }
}

function reportFailure(error: unknown, io: CliIo, json: boolean): number {
  const code = error instanceof UsageError ? EXIT_USAGE : EXIT_FAILED
  const message = error instanceof Error ? error.message : 'unknown failure'
  const kind = error instanceof UsageError ? 'usage' : error instanceof ConfigError ? 'config' : 'failed'
  if (json) io.stdout(`${JSON.stringify({ error: kind, message })}\n`)
  io.stderr(`tessera: ${message}\n`)
  return code
}
