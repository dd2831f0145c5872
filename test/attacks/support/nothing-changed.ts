import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import type { OutgoingHttpHeaders } from 'node:http'
import type { ReasonCode } from '@tessera/core'
import { type Guard, GuardError, type VerifyTokenOptions } from '@tessera/guard'
import Database from 'better-sqlite3'
import { send } from '../../guard/guard-fixtures.ts'
import { type AttackRig, ORDERS_SCOPE, observeRig } from './attack-rig.ts'

/**
 * "The attack was refused, for the right reason, and nothing changed": one assertion used by every attack
 * file, so that each case checks the same things in the same order.
 */

/** What an attack must be refused with. */
export interface RefusalExpectation {
  /** The SPEC §4 reason `guard.verifyToken` rejects with. */
  readonly reason: ReasonCode
  /** Route options for `verifyToken` (and the HTTP route: `/orders` when a scope is demanded). */
  readonly options?: VerifyTokenOptions
  /**
   * What the guarded endpoint answers when the token is sent as `Authorization: Bearer <token>`: the same
   * reason (default), another one (a token that is not an RFC 6750 b64token is a 400 `invalid_request`
   * before any parsing), or `null` when no HTTP client can send it (a newline or NUL in a header).
   */
  readonly http?: ReasonCode | null
}

/**
 * The status and exact `WWW-Authenticate` value the guard sends for a reason (RFC 6750 §3, SPEC §4).
 *
 * @example
 * expectedChallenge('expired') // { status: 401, challenge: 'Bearer realm="tessera", error="invalid_token", …' }
 */
export function expectedChallenge(
  reason: ReasonCode,
  requiredScope?: string,
): { status: number; challenge: string } {
  if (reason === 'missing_token') return { status: 401, challenge: 'Bearer realm="tessera"' }
  const [status, error] =
    reason === 'insufficient_scope'
      ? [403, 'insufficient_scope']
      : reason === 'invalid_request'
        ? [400, 'invalid_request']
        : [401, 'invalid_token']
  const scope = reason === 'insufficient_scope' && requiredScope ? `, scope="${requiredScope}"` : ''
  return {
    status,
    challenge: `Bearer realm="tessera", error="${error}", error_description="${reason}"${scope}`,
  }
}

/**
 * Resolves with the `GuardError` a `verifyToken` call rejects with; fails the test if it resolves or
 * rejects with anything else.
 *
 * @example
 * assert.equal((await refusalOf(guard, token)).reason, 'expired')
 */
export async function refusalOf(
  guard: Guard,
  token: string,
  options?: VerifyTokenOptions,
): Promise<GuardError> {
  const outcome = await guard.verifyToken(token, options).then(
    () => 'accepted' as const,
    (error: unknown) => error,
  )
  assert.notEqual(outcome, 'accepted', 'the attack token was accepted')
  assert.ok(outcome instanceof GuardError, `not a GuardError: ${String(outcome)}`)
  return outcome
}

/**
 * Asserts that the rig's guard refuses `token` with `expected.reason` through `verifyToken` and through a
 * guarded HTTP endpoint (status, `WWW-Authenticate`, JSON body), and that meanwhile the guard made no call
 * to its issuer (no JWKS fetch, no feed reconnect, no use counted), the trap saw nothing, and the guard's
 * health did not move.
 *
 * @example
 * await assertRefusedQuietly(rig, forged, { reason: 'bad_signature' })
 */
export async function assertRefusedQuietly(
  rig: AttackRig,
  token: string,
  expected: RefusalExpectation,
): Promise<void> {
  const before = observeRig(rig)
  const error = await refusalOf(rig.guard, token, expected.options)
  assert.equal(error.reason, expected.reason)
  const httpReason = expected.http === undefined ? expected.reason : expected.http
  // The rig's routes know only one option, `/orders`'s scope; anything else cannot be mirrored over HTTP.
  const { scope, ...rest } = expected.options ?? {}
  if (
    httpReason !== null &&
    (Object.keys(rest).length > 0 || (scope !== undefined && scope !== ORDERS_SCOPE))
  ) {
    throw new Error('only { scope: ORDERS_SCOPE } can be checked over HTTP; pass http: null')
  }
  if (httpReason !== null) {
    const response = await send(rig.apiUrl, scope === undefined ? '/any' : '/orders', {
      headers: { authorization: `Bearer ${token}` },
    })
    assertRefusalResponse(response, httpReason, scope === undefined ? undefined : ORDERS_SCOPE)
  }
  assert.deepEqual(observeRig(rig), before, 'the refusal cost a call, a fetch or a state change')
}

/**
 * Asserts a guard's HTTP refusal: status, exact challenge, `no-store`, and a JSON body with the reason.
 *
 * @example
 * assertRefusalResponse(await send(url, '/orders', { headers }), 'malformed')
 */
export function assertRefusalResponse(
  response: { status: number; headers: OutgoingHttpHeaders; body: Record<string, unknown> },
  reason: ReasonCode,
  requiredScope?: string,
): void {
  const { status, challenge } = expectedChallenge(reason, requiredScope)
  assert.equal(response.status, status, JSON.stringify(response.body))
  assert.equal(response.body.reason, reason)
  assert.equal(typeof response.body.message, 'string')
  assert.equal(response.headers['www-authenticate'], challenge)
  assert.equal(response.headers['cache-control'], 'no-store')
}

/**
 * A digest of every row of every table of a SQLite database: "no row changed" made checkable. Reads through
 * a second, read-only connection, as another process would.
 *
 * @example
 * const before = databaseDigest(t.server.services.databaseFile as string)
 */
export function databaseDigest(file: string): string {
  const db = new Database(file, { readonly: true, fileMustExist: true })
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
      name: string
    }[]
    const hash = createHash('sha256')
    for (const { name } of tables) {
      hash.update(name)
      hash.update(JSON.stringify(db.prepare(`SELECT * FROM "${name}" ORDER BY 1`).all()))
    }
    return hash.digest('hex')
  } finally {
    db.close()
  }
}

/**
 * `true` when nothing has been written onto `Object.prototype` — the prototype-pollution check after a
 * token or body carrying `__proto__` / `constructor.prototype` was processed.
 *
 * @example
 * assert.equal(isPrototypeClean(), true)
 */
export function isPrototypeClean(): boolean {
  const probe: Record<string, unknown> = {}
  return probe.polluted === undefined && probe.scope === undefined && probe.sid === undefined
}
