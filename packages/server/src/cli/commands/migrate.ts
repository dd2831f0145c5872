import { openStore } from '../../services.ts'
import { type CliIo, EXIT_OK, printResult } from '../cli-io.ts'
import { loadCliConfig, parseCommandArgs } from '../command-context.ts'
import type { GlobalOptions } from '../main.ts'

/**
 * `tessera migrate`: brings the schema up to date (opening the store migrates) and reports where.
 *
 * @example
 * await runMigrate([], globals, io)
 */
export async function runMigrate(
  args: readonly string[],
  globals: GlobalOptions,
  io: CliIo,
): Promise<number> {
  const { values } = parseCommandArgs(args, {}, 0)
  if (values.help) {
    io.stdout(
      'Usage: tessera migrate [--json]\n\nApplies pending database migrations. Safe to run while servers are up.\n',
    )
    return EXIT_OK
  }
  const config = loadCliConfig(globals, io)
  const { store, file } = await openStore(config)
  try {
    await store.ping()
    printResult(io, globals.json, { store: store.kind, file: file ?? null, status: 'up to date' }, [
      `schema up to date (${store.kind}${file ? `: ${file}` : ''})`,
    ])
    return EXIT_OK
  } finally {
    await store.close()
  }
}
