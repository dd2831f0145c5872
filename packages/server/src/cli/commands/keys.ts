import { KeyRotationTooSoonError } from '../../domain/key-ring.ts'
import { type CliIo, EXIT_FAILED, EXIT_OK, printResult } from '../cli-io.ts'
import { parseCommandArgs, readAction, withServices } from '../command-context.ts'
import type { GlobalOptions } from '../main.ts'

const HELP = `Usage: tessera keys list [--json]
       tessera keys rotate [--force] [--json]

list     every signing key with its state (next, current, retired) and dates
rotate   promote the published 'next' key to 'current', retire the old one, publish a new 'next'.
         Refused while 'next' has been published for less than keys.jwksCacheSeconds (guards
         may not have it yet); --force rotates anyway (a compromised key).
`

function isoOrNull(at: number | null): string | null {
  return at === null ? null : new Date(at * 1000).toISOString()
}

/**
 * `tessera keys list|rotate`: the signing key ring (SPEC §2, §6).
 *
 * @example
 * await runKeys(['rotate', '--json'], globals, io)
 */
export async function runKeys(args: readonly string[], globals: GlobalOptions, io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(args, { force: { type: 'boolean' } }, 1)
  const action = readAction(parsed, io, {
    command: 'keys',
    actions: ['list', 'rotate'],
    help: HELP,
  })
  if (action === undefined) return EXIT_OK
  return withServices(globals, io, async (services) => {
    if (action === 'rotate') {
      let rotated: Awaited<ReturnType<typeof services.ring.rotate>>
      try {
        rotated = await services.ring.rotate({ force: parsed.values.force === true })
      } catch (error) {
        if (!(error instanceof KeyRotationTooSoonError)) throw error
        io.stderr(`tessera keys rotate: ${error.message} (--force)\n`)
        return EXIT_FAILED
      }
      printResult(io, globals.json, { kid: rotated.current, state: 'current', next: rotated.next ?? null }, [
        `current key: ${rotated.current}`,
        `next key:    ${rotated.next ?? '(none)'}`,
      ])
      return EXIT_OK
    }
    const keys = await services.store.signingKeys.listAll()
    const rows = keys.map((k) => ({
      kid: k.kid,
      alg: k.alg,
      state: k.state,
      created_at: isoOrNull(k.createdAt),
      activated_at: isoOrNull(k.activatedAt),
      retired_at: isoOrNull(k.retiredAt),
      published_until: isoOrNull(k.publishUntil),
    }))
    printResult(
      io,
      globals.json,
      { keys: rows },
      rows.map((r) => `${r.kid}  ${r.alg.padEnd(5)}  ${r.state.padEnd(7)}  created ${r.created_at}`),
    )
    return EXIT_OK
  })
}
