import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { FormBodyError } from './form-body.ts'
import { asProblem, type Problem, ProblemError, problemFor } from './problem.ts'
import { REALM } from './send-problem.ts'

/**
 * Problems of the endpoints that clients call with their own credentials (`/oauth/*`, `/v1/tokens`,
 * `/v1/token-uses`, `/v1/revocations`). They differ from the user API in two ways: a refused client gets
 * RFC 6749 §5.2 `invalid_client` with a `Basic` challenge rather than a Bearer one, and OAuth's own error
 * codes (`invalid_grant`, `invalid_scope`, `unsupported_grant_type` …) travel beside the SPEC §4 reason.
 */

type ProblemOptions = NonNullable<Parameters<typeof problemFor>[1]>

/**
 * A problem whose OAuth `error` is not the reason's default one.
 *
 * @example
 * throw new ProblemError(oauthProblem('invalid_request', 'unsupported_grant_type', { field: 'grant_type' }))
 */
export function oauthProblem(
  reason: Problem['reason'],
  error: string,
  options: ProblemOptions = {},
): Problem {
  return { ...problemFor(reason, { status: 400, ...options }), error }
}

/** RFC 6749 §5.2 `invalid_client`: 401 with `WWW-Authenticate: Basic` (reason `invalid_credentials`). */
export class ClientAuthError extends ProblemError {
  constructor(message = 'client authentication failed') {
    super(oauthProblem('invalid_credentials', 'invalid_client', { status: 401, message }))
    this.name = 'ClientAuthError'
  }
}

/**
 * Sends `{error, reason, message[, field]}`: a 401 carries the Basic challenge (RFC 6749 §5.2, RFC 7617),
 * other statuses no challenge at all (the caller sent client credentials, not a bearer token).
 *
 * @example
 * return sendServiceProblem(reply, new ClientAuthError().problem)
 */
export function sendServiceProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  if (problem.status === 401) reply.header('www-authenticate', `Basic realm="${REALM}"`)
  if (problem.retryAfterSeconds !== undefined)
    reply.header('retry-after', String(Math.max(1, Math.ceil(problem.retryAfterSeconds))))
  reply.header('cache-control', 'no-store').header('pragma', 'no-cache')
  return reply.code(problem.status).send({
    error: problem.error,
    reason: problem.reason,
    message: problem.message,
    ...(problem.field === undefined ? {} : { field: problem.field }),
  })
}

function knownProblem(error: unknown, formBodies: boolean): Problem | undefined {
  const known = asProblem(error)
  if (known !== undefined) return known
  if (error instanceof FormBodyError) {
    const isCharset = error.field === 'content-type'
    return problemFor('invalid_request', {
      status: isCharset ? 415 : 400,
      field: error.field,
      message: error.message,
    })
  }
  const code = (error as { code?: unknown }).code
  if (formBodies && code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return problemFor('invalid_request', {
      status: 415,
      field: 'content-type',
      message: 'the body must be application/x-www-form-urlencoded',
    })
  }
  return undefined
}

/**
 * Installs the service error handler on an encapsulated instance. Errors it does not know (validation,
 * body limits, bugs) are rethrown, which hands them to the application's handler (app.ts).
 *
 * @example
 * app.register(async (scope) => { registerServiceErrorHandler(scope, { formBodies: true }); … })
 */
export function registerServiceErrorHandler(
  instance: FastifyInstance,
  options: { readonly formBodies: boolean },
): void {
  instance.setErrorHandler((error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
    const problem = knownProblem(error, options.formBodies)
    if (problem === undefined) throw error
    return sendServiceProblem(reply, problem)
  })
}
