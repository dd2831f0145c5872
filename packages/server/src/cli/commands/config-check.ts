import { type CliIo, EXIT_OK, printResult } from '../cli-io.ts'
import { loadCliConfig, parseCommandArgs } from '../command-context.ts'
import type { GlobalOptions } from '../main.ts'

function maskUrlPassword(url: string | undefined): string | null {
  if (url === undefined) return null
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.toString()
  } catch {
    return '***'
  }
}

/**
 * `tessera config check`: validates the configuration exactly as `serve` would and prints the result with
 * secrets masked. A bad setting fails with the path, the value and the allowed range (exit 1).
 *
 * @example
 * await runConfigCheck(['check', '--json'], globals, io)
 */
export async function runConfigCheck(
  args: readonly string[],
  globals: GlobalOptions,
  io: CliIo,
): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {}, 1)
  if (values.help || positionals[0] !== 'check') {
    io.stdout(
      'Usage: tessera config check [--config FILE] [--json]\n\nValidates the configuration and prints it, secrets masked.\n',
    )
    return values.help ? EXIT_OK : 2
  }
  const config = loadCliConfig(globals, io)
  const shown = {
    ...config,
    secret: config.secret === undefined ? null : '***',
    databaseUrl: maskUrlPassword(config.databaseUrl),
    redisUrl: maskUrlPassword(config.redisUrl),
  }
  printResult(io, globals.json, { ok: true, config: shown }, [
    'configuration is valid',
    JSON.stringify(shown, null, 2),
  ])
  return EXIT_OK
}
