import { type CliIo, EXIT_OK, printResult } from '../cli-io.ts'
import { parseCommandArgs, readAction, withServices } from '../command-context.ts'
import type { GlobalOptions } from '../main.ts'

const HELP = `Usage: tessera keys list [--json]
       tessera keys rotate [--json]

list     every signing key with its state (next, current, retired) and dates
rotate   promote the published 'next' key to 'current', retire the old one, publish a new 'next'
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
  const action = readAction(parseCommandArgs(args, {}, 1), io, {
    command: 'keys',
    actions: ['list', 'rotate'],
    help: HELP,
  })
  if (action === undefined) return EXIT_OK
  return withServices(globals, io, async (services) => {
    if (action === 'rotate') {
      const rotated = await services.ring.rotate()
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
