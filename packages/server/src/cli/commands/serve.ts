import { resolve } from 'node:path'
import { createLogger } from '../../logging/create-logger.ts'
import { startServer } from '../../server.ts'
import { type CliIo, EXIT_OK } from '../cli-io.ts'
import { loadCliConfig, parseCommandArgs } from '../command-context.ts'
import type { GlobalOptions } from '../main.ts'

const HELP = `Usage: tessera serve [--host HOST] [--port PORT] [--config FILE]

Starts the auth server (embedded SQLite in the data dir unless TESSERA_DATABASE_URL is set).
Stops gracefully on SIGINT or SIGTERM, draining requests in flight.
`

/**
 * `tessera serve`: starts the server and resolves when it has stopped after a signal.
 *
 * @example
 * await runServe(['--port', '0'], globals, io)
 */
export async function runServe(args: readonly string[], globals: GlobalOptions, io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, { host: { type: 'string' }, port: { type: 'string' } }, 0)
  if (values.help) {
    io.stdout(HELP)
    return EXIT_OK
  }
  const overrides: Record<string, string> = {}
  if (typeof values.host === 'string') overrides.host = values.host
  if (typeof values.port === 'string') overrides.port = values.port
  const config = loadCliConfig(globals, io, overrides)
  const logger = createLogger({ level: config.log.level })
  const server = await startServer(config, { logger })
  const store = server.services.databaseFile ?? server.services.store.kind
  io.stdout(
    [
      `Tessera is listening on ${server.url}`,
      `  issuer:   ${config.issuer}`,
      `  data:     ${resolve(config.dataDir)} (${store})`,
      `  metadata: ${config.issuer}/.well-known/oauth-authorization-server`,
      '',
    ].join('\n'),
  )
  await new Promise<void>((done) => {
    const stop = (): void => {
      logger.info('shutting down: draining requests in flight')
      void server.close().then(done, done)
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  return EXIT_OK
}
