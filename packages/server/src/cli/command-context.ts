import { parseArgs } from 'node:util'
import type { Logger } from 'pino'
import { loadConfig } from '../config/load-config.ts'
import type { Config } from '../config/schema.ts'
import { createLogger } from '../logging/create-logger.ts'
import { createServices, type Services } from '../services.ts'
import { type CliIo, UsageError } from './cli-io.ts'
import type { GlobalOptions } from './main.ts'

/**
 * Loads the same validated config as the server (SPEC §6: the CLI acts on the same database).
 *
 * @example
 * const config = loadCliConfig(globals, io)
 */
export function loadCliConfig(
  globals: GlobalOptions,
  io: CliIo,
  overrides: Record<string, string> = {},
): Config {
  return loadConfig({
    argv: { ...(globals.configFile === undefined ? {} : { configFile: globals.configFile }), overrides },
    env: io.env,
    cwd: io.cwd,
  })
}

/**
 * Runs `work` with the services of the configured store, closing them afterwards. Logs go to stderr at
 * warn level so they never mix with a command's stdout.
 *
 * @example
 * return withServices(globals, io, async (services) => { … return EXIT_OK })
 */
export async function withServices(
  globals: GlobalOptions,
  io: CliIo,
  work: (services: Services, logger: Logger) => Promise<number>,
): Promise<number> {
  const config = loadCliConfig(globals, io)
  const logger = createLogger({ level: 'warn', destination: process.stderr })
  // Security events recorded by a command say so: `actor: cli` (an operator at the shell, not a request).
  const services = await createServices(config, { logger, actor: 'cli' })
  try {
    return await work(services, logger)
  } finally {
    await services.close()
  }
}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>

/**
 * Parses a command's own arguments strictly: an unknown flag or a stray positional is a usage error (exit 2).
 *
 * @example
 * const { values } = parseCommandArgs(args, { email: { type: 'string' } }, 0)
 */
export function parseCommandArgs<T extends OptionSpec>(
  args: readonly string[],
  options: T,
  maxPositionals: number,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const parsed = parseArgs({
      args: [...args],
      options: { ...options, help: { type: 'boolean' } },
      strict: true,
      allowPositionals: true,
    })
    if (parsed.positionals.length > maxPositionals)
      throw new UsageError(`unexpected argument '${parsed.positionals[maxPositionals]}'`)
    return {
      values: parsed.values as Record<string, string | boolean | undefined>,
      positionals: parsed.positionals,
    }
  } catch (error) {
    if (error instanceof UsageError) throw error
    throw new UsageError((error as Error).message)
  }
}

/**
 * The action word of a command with sub-actions (`keys list`, `users create`, …). Prints the help and
 * resolves undefined for `--help`; a missing or unknown action is a usage error (exit 2).
 *
 * @example
 * const action = readAction({ values, positionals }, io, { command: 'keys', actions: ['list', 'rotate'], help: HELP })
 * if (action === undefined) return EXIT_OK
 */
export function readAction<A extends string>(
  parsed: { readonly values: Record<string, unknown>; readonly positionals: readonly string[] },
  io: CliIo,
  spec: { readonly command: string; readonly actions: readonly A[]; readonly help: string },
): A | undefined {
  const [action] = parsed.positionals
  if (parsed.values.help) {
    io.stdout(spec.help)
    return undefined
  }
  if (action === undefined) {
    io.stdout(spec.help)
    throw new UsageError(`${spec.command} needs an action: ${spec.actions.join(', ')}`)
  }
  if (!(spec.actions as readonly string[]).includes(action)) {
    throw new UsageError(`unknown ${spec.command} action '${action}'`)
  }
  return action as A
}

/** The most rows one listing returns (the same bound as the account and client ports). */
const MAX_PAGE_SIZE = 1000

/**
 * `--limit N` (1–1000, default 100) and `--after ID` of a listing command.
 *
 * @example
 * const page = readPageOptions(values) // { limit: 100 } or { limit, afterId }
 */
export function readPageOptions(values: Record<string, unknown>): { limit: number; afterId?: string } {
  const limit = values.limit === undefined ? 100 : Number(values.limit)
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new UsageError(`--limit must be an integer from 1 to ${MAX_PAGE_SIZE}`)
  }
  return typeof values.after === 'string' ? { limit, afterId: values.after } : { limit }
}
