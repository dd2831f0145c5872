/**
 * Reads the JSON config file. The default file is optional; a file that was named (`--config`,
 * `TESSERA_CONFIG`) must exist, because silently running on defaults when the operator pointed at a file
 * that is not there would be the worst outcome. Nothing of the file's text ever reaches an error message:
 * it may hold the secret or a database password.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { ConfigIssue } from './config-error.ts'

export const defaultConfigFileName = 'tessera.config.json'
const maximumFileBytes = 1_048_576

export type ConfigFileOutcome =
  | { readonly kind: 'absent' }
  | { readonly kind: 'loaded'; readonly path: string; readonly content: Readonly<Record<string, unknown>> }
  | { readonly kind: 'failed'; readonly issue: ConfigIssue }

export interface ConfigFileRequest {
  /** The path given by `--config` or `TESSERA_CONFIG`; undefined to look for the default file. */
  readonly namedPath: string | undefined
  /** What named it, for the error message: `--config` or `TESSERA_CONFIG`. */
  readonly namedBy: string
  readonly cwd: string
}

function describeOpenFailure(error: unknown): string {
  const code = error instanceof Error && 'code' in error ? String(error.code) : 'unknown'
  if (code === 'ENOENT') return 'it does not exist'
  if (code === 'EACCES' || code === 'EPERM') return 'permission to read it is denied'
  return `it cannot be opened (${code})`
}

function describeJsonFailure(error: unknown, text: string): string {
  // V8 messages quote the input; only the position is safe to repeat, as line and column.
  const position = error instanceof Error ? /at position (\d+)/.exec(error.message)?.[1] : undefined
  if (position === undefined) return 'it is not valid JSON'
  const before = text.slice(0, Number(position))
  const line = before.split('\n').length
  const column = before.length - before.lastIndexOf('\n')
  return `it is not valid JSON (line ${line}, column ${column})`
}

function readText(path: string): { ok: true; text: string } | { ok: false; problem: string } {
  let descriptor: number
  try {
    // O_NONBLOCK: a FIFO planted at the path must not hang startup before the regular-file check.
    descriptor = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (error) {
    return { ok: false, problem: describeOpenFailure(error) }
  }
  try {
    const stats = fstatSync(descriptor)
    if (!stats.isFile()) return { ok: false, problem: 'it is not a regular file' }
    if (stats.size > maximumFileBytes) return { ok: false, problem: 'it is larger than 1 MiB' }
    const bytes = readFileSync(descriptor)
    if (bytes.length > maximumFileBytes) return { ok: false, problem: 'it is larger than 1 MiB' }
    try {
      return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) }
    } catch {
      return { ok: false, problem: 'it is not UTF-8 text' }
    }
  } catch (error) {
    return { ok: false, problem: describeOpenFailure(error) }
  } finally {
    closeSync(descriptor)
  }
}

/**
 * Reads and parses the config file named by the request, or the default `./tessera.config.json` if it
 * exists. The content is returned unvalidated (`unknown` values); the schema checks it with the rest.
 *
 * @example
 * const outcome = readConfigFile({ namedPath: undefined, namedBy: '--config', cwd: process.cwd() })
 * if (outcome.kind === 'loaded') console.log(outcome.path)
 */
export function readConfigFile(request: ConfigFileRequest): ConfigFileOutcome {
  const path = resolve(request.cwd, request.namedPath ?? defaultConfigFileName)
  const fail = (problem: string): ConfigFileOutcome => ({
    kind: 'failed',
    issue: {
      setting: 'config file',
      value: JSON.stringify(path),
      source: request.namedPath === undefined ? 'the default location' : request.namedBy,
      problem,
      expected: 'a readable regular file of at most 1 MiB holding one JSON object',
    },
  })
  const read = readText(path)
  if (!read.ok) {
    return request.namedPath === undefined && read.problem === 'it does not exist'
      ? { kind: 'absent' }
      : fail(read.problem)
  }
  const text = read.text.replace(/^\uFEFF/, '')
  let content: unknown
  try {
    content = JSON.parse(text)
  } catch (error) {
    return fail(describeJsonFailure(error, text))
  }
  if (typeof content !== 'object' || content === null || Array.isArray(content)) {
    return fail('its top level is not a JSON object')
  }
  return { kind: 'loaded', path, content: content as Record<string, unknown> }
}
