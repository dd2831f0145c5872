import type { FastifyReply } from 'fastify'
import type { Problem } from './problem.ts'

/** The realm of every challenge this server sends. */
export const REALM = 'tessera'

/** RFC 7235 quoted-string: our values are fixed ASCII codes, but escape anyway so no value can break out. */
function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`
}

/** The proof algorithms this server accepts, for the DPoP challenge's `algs` (RFC 9449 §7.1). */
export const DPOP_ALGORITHMS = ['EdDSA', 'ES256'] as const

/**
 * The RFC 6750 §3 challenge for a problem: no `error` attribute when no credentials were sent at all
 * (`missing_token`), otherwise `error` and `error_description` = the SPEC §4 reason code. A problem with a
 * DPoP-bound credential gets the `DPoP` scheme with the accepted `algs` instead (RFC 9449 §7.1).
 *
 * @example
 * bearerChallenge(problemFor('expired')) // 'Bearer realm="tessera", error="invalid_token", error_description="expired"'
 */
export function bearerChallenge(problem: Problem): string {
  const scheme = problem.challengeScheme ?? 'Bearer'
  const algs = scheme === 'DPoP' ? [`algs=${quote(DPOP_ALGORITHMS.join(' '))}`] : []
  if (problem.reason === 'missing_token') return `${scheme} ${[`realm=${quote(REALM)}`, ...algs].join(', ')}`
  const parts = [
    `realm=${quote(REALM)}`,
    `error=${quote(problem.error)}`,
    `error_description=${quote(problem.reason)}`,
    ...algs,
  ]
  return `${scheme} ${parts.join(', ')}`
}

/**
 * Sends `{error, reason, message[, field]}` with the problem's status, `Retry-After` when given, and the
 * Bearer challenge on 401 and 403.
 *
 * @example
 * return sendProblem(reply, problemFor('csrf_failed'))
 */
export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  if (problem.status === 401 || problem.status === 403)
    reply.header('www-authenticate', bearerChallenge(problem))
  if (problem.retryAfterSeconds !== undefined)
    reply.header('retry-after', String(Math.max(1, Math.ceil(problem.retryAfterSeconds))))
  reply.header('cache-control', 'no-store')
  return reply.code(problem.status).send({
    error: problem.error,
    reason: problem.reason,
    message: problem.message,
    ...(problem.field === undefined ? {} : { field: problem.field }),
  })
}
