import { KeyRotationTooSoonError } from '../../domain/key-ring.ts'
import { recordKeyRotation } from '../../domain/key-rotation-events.ts'
import { type CliIo, EXIT_FAILED, EXIT_OK, printResult, UsageError } from '../cli-io.ts'
import { parseCommandArgs, readAction, withServices } from '../command-context.ts'
import type { GlobalOptions } from '../main.ts'
import { retireKey } from './keys-retire.ts'

const HELP = `Usage: tessera keys list [--json]
       tessera keys rotate [--force] [--json]
       tessera keys retire --kid KID [--force] [--json]

list     every signing key with its state (next, current, retired) and dates
rotate   promote the published 'next' key to 'current', retire the old one, publish a new 'next'.
         Refused while 'next' has been published for less than keys.jwksCacheSeconds (guards
         may not have it yet); --force rotates anyway (a compromised key).
retire   retire one key ahead of schedule:
           the current key: the next key is promoted first (the ring always needs a signer), with
             rotate's rule (refused while 'next' is younger than keys.jwksCacheSeconds; --force);
             the old key stays published until the tokens it signed expire
           the next key: it has signed nothing; it leaves the JWKS now and a new next key is published
           a retired key: only with --force, removes it from the JWKS now (a compromised key); the
             tokens it signed then fail with unknown_key
`

function isoOrNull(at: number | null): string | null {
  return at === null ? null : new Date(at * 1000).toISOString()
}

/**
 * `tessera keys list|rotate|retire`: the signing key ring (SPEC §2, §6).
 *
 * @example
 * await runKeys(['rotate', '--json'], globals, io)
 */
export async function runKeys(args: readonly string[], globals: GlobalOptions, io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(args, { force: { type: 'boolean' }, kid: { type: 'string' } }, 1)
  const action = readAction(parsed, io, {
    command: 'keys',
    actions: ['list', 'rotate', 'retire'],
    help: HELP,
  })
  if (action === undefined) return EXIT_OK
  if (action === 'retire') {
    const kid = parsed.values.kid
    if (typeof kid !== 'string' || kid === '') throw new UsageError('keys retire needs --kid')
    const request = { kid, force: parsed.values.force === true, json: globals.json }
    return withServices(globals, io, (services) => retireKey(services, io, request))
  }
  if (parsed.values.kid !== undefined) throw new UsageError(`keys ${action} takes no --kid`)
  return withServices(globals, io, async (services) => {
    if (action === 'rotate') {
      let rotated: Awaited<ReturnType<typeof services.ring.rotate>>
      const previousKid = services.ring.signingKey.kid
      try {
        rotated = await services.ring.rotate({ force: parsed.values.force === true })
      } catch (error) {
        if (!(error instanceof KeyRotationTooSoonError)) throw error
        io.stderr(`tessera keys rotate: ${error.message} (--force)\n`)
        return EXIT_FAILED
      }
      const forced = parsed.values.force === true
      await recordKeyRotation(services.securityRecord, { previousKid, rotated, trigger: 'manual', forced })
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
