import { isJsonObject, parseCompactJws, parseStrictJsonBytes } from '@tessera/core'
import type { Services } from '../../services.ts'
import { type CliIo, EXIT_FAILED, EXIT_OK, printResult, UsageError } from '../cli-io.ts'
import { parseCommandArgs, withServices } from '../command-context.ts'
import type { GlobalOptions } from '../main.ts'

const HELP = `Usage: tessera token inspect <jwt | -> [--json]

Decodes an access token and verifies it against this server's key ring and claim rules, then checks the
live state (session, user not-before, client). Pass - to read the token from standard input, which keeps
it out of the process list and shell history. The token itself is never printed.
Exit code 0 when the token is valid and live, 1 otherwise.
`

interface Inspection {
  readonly header: Record<string, unknown> | null
  readonly claims: Record<string, unknown> | null
  /** Core's verdict: format, signature, issuer and time rules (SPEC §4 reason when invalid). */
  readonly verification: { readonly valid: boolean; readonly reason: string | null }
  /** The server's live state: session, user not-before, client (`session_revoked` or `revoked`). */
  readonly state: { readonly active: boolean; readonly reason: string | null }
}

/** Header and claims as far as they decode, without trusting them (shown for diagnosis only). */
function decode(token: string): Pick<Inspection, 'header' | 'claims'> {
  try {
    const parsed = parseCompactJws(token)
    const payload = parseStrictJsonBytes(parsed.payload)
    return { header: { ...parsed.header }, claims: isJsonObject(payload) ? { ...payload } : null }
  } catch {
    return { header: null, claims: null }
  }
}

async function inspect(services: Services, token: string): Promise<Inspection> {
  const decoded = decode(token)
  const check = services.tokenInspector.verifyAccessToken(token)
  if (!check.ok) {
    return {
      ...decoded,
      verification: { valid: false, reason: check.error.code },
      state: { active: false, reason: null },
    }
  }
  const liveReason = await services.tokenInspector.checkLiveState(check.claims)
  return {
    ...decoded,
    verification: { valid: true, reason: null },
    state: { active: liveReason === undefined, reason: liveReason ?? null },
  }
}

function humanLines(result: Inspection): string[] {
  const lines = [
    `header: ${JSON.stringify(result.header)}`,
    `claims: ${JSON.stringify(result.claims, null, 2)}`,
    result.verification.valid
      ? 'verification: valid'
      : `verification: invalid (${result.verification.reason})`,
  ]
  if (result.verification.valid) {
    lines.push(result.state.active ? 'state: active' : `state: inactive (${result.state.reason})`)
  }
  for (const at of ['iat', 'exp'] as const) {
    const value = result.claims?.[at]
    if (typeof value === 'number') lines.push(`${at}: ${new Date(value * 1000).toISOString()}`)
  }
  return lines
}

/**
 * `tessera token inspect <jwt>` (SPEC §6): decode, verify with core against the local key ring, check the
 * live state, and print header, claims and the result — never the token.
 *
 * @example
 * await runToken(['inspect', '-', '--json'], globals, io)
 */
export async function runToken(args: readonly string[], globals: GlobalOptions, io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {}, 2)
  const [action, argument] = positionals
  if (values.help || action === undefined) {
    io.stdout(HELP)
    if (action === undefined && !values.help) throw new UsageError('token needs an action: inspect')
    return EXIT_OK
  }
  if (action !== 'inspect') throw new UsageError(`unknown token action '${action}'`)
  if (argument === undefined) throw new UsageError('token inspect needs a token, or - to read it from stdin')
  const token = argument === '-' ? (await io.readStdin()).trim() : argument
  return withServices(globals, io, async (services) => {
    const result = await inspect(services, token)
    printResult(io, globals.json, result, humanLines(result))
    return result.state.active ? EXIT_OK : EXIT_FAILED
  })
}
