/**
 * The server's logger: pino, JSON lines, with credentials redacted wherever a careless call might put
 * them. Redaction is the second line of defence; the first is that no code logs a token, password or
 * secret at all (STYLE.md, SPEC §3). The request serializer keeps headers and query strings out entirely.
 */
import { type DestinationStream, type Logger, pino } from 'pino'
import { redactCredentials, redactionCensor } from './redact-credentials.ts'
import { requestSerializer } from './request-serializer.ts'

export { redactionCensor } from './redact-credentials.ts'
export { requestSerializer } from './request-serializer.ts'

/**
 * The header paths pino's own redaction blanks out. Field names in the top four levels of a log call's
 * object are redacted by `redactCredentials` (much cheaper than pino's wildcards); pino applies these fixed
 * paths to child-logger bindings too, which that formatter never sees. `x-tessera-csrf` is deliberately
 * absent: it carries no secret, its value is always `1`.
 */
export const redactedPaths: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers.dpop',
  'res.headers["set-cookie"]',
]

export interface CreateLoggerOptions {
  /** A pino level: fatal, error, warn, info, debug, trace or silent. */
  readonly level: string
  /** Where JSON lines go; stdout when omitted. */
  readonly destination?: NodeJS.WritableStream
}

/**
 * Creates the JSON-lines logger with redaction and the query-free request serializer.
 *
 * @example
 * const logger = createLogger({ level: config.log.level })
 * logger.info({ req: request }, 'request completed')
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const settings = {
    level: options.level,
    redact: { paths: [...redactedPaths], censor: redactionCensor },
    serializers: { req: requestSerializer },
    formatters: {
      // Level names instead of numbers: log pipelines and people read `"level":"warn"` without a table.
      level: (label: string) => ({ level: label }),
      log: redactCredentials,
    },
  }
  const destination: DestinationStream | undefined = options.destination
  return destination === undefined ? pino(settings) : pino(settings, destination)
}
