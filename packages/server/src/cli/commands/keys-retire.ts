/**
 * `tessera keys retire --kid KID [--force]`: retires a signing key ahead of schedule. What is safe depends
 * on the key's state:
 * - `current`: the ring always needs a signer, so the `next` key is promoted first (a rotation, with the
 *   rotation's rule: refused while `next` is younger than the JWKS cache time, unless `--force`). The old key
 *   stays published until its tokens expire, like any rotation.
 * - `next`: it has signed nothing, so it leaves the JWKS at once and a new `next` is published.
 * - `retired` and still published: removing it makes every unexpired token it signed fail with
 *   `unknown_key` — right for a compromised key, an outage for an honest one — so only with `--force`.
 */
import { KeyRotationTooSoonError } from '../../domain/key-ring.ts'
import { recordKeyRotation } from '../../domain/key-rotation-events.ts'
import type { Services } from '../../services.ts'
import type { SigningKeyRecord } from '../../store/ports.ts'
import { type CliIo, EXIT_FAILED, EXIT_OK, printResult } from '../cli-io.ts'

/** What `keys retire` was asked to do. */
export interface RetireRequest {
  readonly kid: string
  readonly force: boolean
  readonly json: boolean
}

function iso(at: number | null): string | null {
  return at === null ? null : new Date(at * 1000).toISOString()
}

/** A refusal: the reason on stderr, and a JSON document on stdout with `--json`. */
function refuse(io: CliIo, json: boolean, error: string, message: string): number {
  if (json) io.stdout(`${JSON.stringify({ error, message }, null, 2)}\n`)
  io.stderr(`tessera keys retire: ${message}\n`)
  return EXIT_FAILED
}

async function findKey(services: Services, kid: string): Promise<SigningKeyRecord | undefined> {
  return (await services.store.signingKeys.listAll()).find((key) => key.kid === kid)
}

async function retireCurrent(services: Services, io: CliIo, request: RetireRequest): Promise<number> {
  const { kid, force, json } = request
  // The ring rotates whatever is current when it reloads; make sure that is still the key we were given.
  await services.ring.reload()
  if (services.ring.signingKey.kid !== kid) {
    return refuse(io, json, 'ring_changed', 'the key ring changed meanwhile; see `tessera keys list`')
  }
  let rotated: Awaited<ReturnType<typeof services.ring.rotate>>
  try {
    rotated = await services.ring.rotate({ force })
  } catch (error) {
    if (!(error instanceof KeyRotationTooSoonError)) throw error
    const why = `${kid} is the current key; retiring it promotes the next key, but ${error.message}`
    return refuse(io, json, 'too_soon', `${why} (--force)`)
  }
  if (rotated.current === kid) {
    return refuse(io, json, 'ring_changed', 'the key ring changed meanwhile; see `tessera keys list`')
  }
  await recordKeyRotation(services.securityRecord, {
    previousKid: kid,
    rotated,
    trigger: 'manual',
    forced: force,
  })
  const publishedUntil = iso((await findKey(services, kid))?.publishUntil ?? null)
  const result = {
    kid,
    state: 'retired',
    published_until: publishedUntil,
    current: rotated.current,
    next: rotated.next ?? null,
    changed: true,
  }
  printResult(io, json, result, [
    `retired ${kid}; ${rotated.current} (the next key) now signs; new next key: ${rotated.next ?? '(none)'}`,
    `${kid} stays in the JWKS until ${publishedUntil}, so the tokens it signed keep verifying until they expire.`,
    `If it is compromised, remove it now: tessera keys retire --kid ${kid} --force`,
  ])
  return EXIT_OK
}

async function withdrawNext(services: Services, io: CliIo, request: RetireRequest): Promise<number> {
  const { kid, json } = request
  if (!(await services.ring.withdraw(kid))) {
    return refuse(io, json, 'ring_changed', 'the key ring changed meanwhile; see `tessera keys list`')
  }
  await services.securityRecord.record({ type: 'key_retired', details: { kid, withdrawn: true } })
  const next = (await services.store.signingKeys.listAll()).find((key) => key.state === 'next')?.kid ?? null
  printResult(
    io,
    json,
    { kid, state: 'retired', published_until: iso(services.clock.nowSeconds()), next, changed: true },
    [
      `retired the next key ${kid} (it had signed nothing) and removed it from the JWKS; new next key: ${next ?? '(none)'}`,
      'The next rotation waits until the new next key has been published for keys.jwksCacheSeconds.',
    ],
  )
  return EXIT_OK
}

async function withdrawRetired(
  services: Services,
  io: CliIo,
  request: RetireRequest,
  key: SigningKeyRecord,
): Promise<number> {
  const { kid, force, json } = request
  const isPublished = key.publishUntil !== null && key.publishUntil > services.clock.nowSeconds()
  if (isPublished && !force) {
    const until = iso(key.publishUntil)
    const why = `${kid} is already retired and stays in the JWKS until ${until}, so the tokens it signed verify until they expire`
    return refuse(
      io,
      json,
      'needs_force',
      `${why}; --force removes it now (a compromised key): those tokens then fail with unknown_key`,
    )
  }
  // false: not published (any more), whether before this call or by a concurrent one. Nothing to do.
  const withdrawn = isPublished && (await services.ring.withdraw(kid))
  if (withdrawn)
    await services.securityRecord.record({ type: 'key_retired', details: { kid, withdrawn: true } })
  const publishedUntil = iso((await findKey(services, kid))?.publishUntil ?? null)
  printResult(io, json, { kid, state: 'retired', published_until: publishedUntil, changed: withdrawn }, [
    withdrawn
      ? `removed ${kid} from the JWKS. Tokens it signed now fail with unknown_key: at servers once they reload the key ring (at once with Redis, else within a minute), at guards once they refetch the JWKS.`
      : `${kid} is retired and no longer published; nothing changed`,
  ])
  return EXIT_OK
}

/**
 * Retires one signing key ahead of schedule, as safely as its state allows (see the file comment).
 *
 * @example
 * return withServices(globals, io, (services) => retireKey(services, io, { kid, force: false, json: true }))
 */
export async function retireKey(services: Services, io: CliIo, request: RetireRequest): Promise<number> {
  const key = await findKey(services, request.kid)
  if (key === undefined) {
    printResult(io, request.json, { error: 'not_found', field: 'kid' }, [`no signing key ${request.kid}`])
    return EXIT_FAILED
  }
  if (key.state === 'current') return retireCurrent(services, io, request)
  if (key.state === 'next') return withdrawNext(services, io, request)
  return withdrawRetired(services, io, request, key)
}
