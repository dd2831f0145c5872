import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { parseStrictJson, TesseraError } from '@tessera/core'
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify'
import { HashQueueFullError } from '../domain/password-hasher.ts'
import { recordHttpRequests } from '../metrics/record-http-requests.ts'
import type { AppContext } from './app-context.ts'
import { registerDpopTokenEndpoints } from './dpop-request.ts'
import { registerOriginPolicy } from './origin-policy.ts'
import { asProblem, problemFor } from './problem.ts'
import { registerAccountRoutes } from './routes/account-routes.ts'
import { registerDiscoveryRoutes } from './routes/discovery-routes.ts'
import { registerHealthRoutes } from './routes/health-routes.ts'
import { registerMetricsRoute } from './routes/metrics-route.ts'
import { registerOAuthRoutes } from './routes/oauth-routes.ts'
import { registerOidcRoutes } from './routes/oidc-routes.ts'
import { collectOpenApi } from './routes/openapi-route.ts'
import { registerPageRoutes } from './routes/page-routes.ts'
import { registerPasswordLoginRoutes } from './routes/password-login-routes.ts'
import { registerRefreshRoutes } from './routes/refresh-routes.ts'
import { registerServiceRoutes } from './routes/service-routes.ts'
import { registerSecurityHeaders } from './security-headers.ts'
import { sendProblem } from './send-problem.ts'
import { problemFromValidation } from './validation-problem.ts'

/**
 * Headers up to 32 KiB reach our handlers, so an oversized token gets a `token_too_large` answer that names
 * the reason; beyond that Node itself answers 431.
 */
const MAX_HEADER_BYTES = 32 * 1024

/**
 * Builds the auth server's Fastify application over the given services. It does not listen.
 *
 * @example
 * const app = await buildApp(ctx)
 * await app.listen({ host: '127.0.0.1', port: 8080 })
 */
export async function buildApp(ctx: AppContext): Promise<FastifyInstance> {
  const trustedProxies = ctx.config.trustedProxies
  const app = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void): Server =>
      createServer({ maxHeaderSize: MAX_HEADER_BYTES }, handler),
    bodyLimit: ctx.config.http.bodyLimitBytes,
    // X-Forwarded-For is believed only from the proxies the operator named (SPEC §3 throttling).
    trustProxy: trustedProxies.length === 0 ? false : [...trustedProxies],
    requestTimeout: ctx.config.http.requestTimeoutSeconds * 1000,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 200 },
    // Our own strict JSON parser (below) rejects duplicates; ajv must neither coerce nor strip (unknown
    // fields are an error, SPEC §3).
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false },
    },
  })
  // Before any route and plugin, so every one of them inherits the hook.
  recordHttpRequests(app, ctx.metrics)
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof HashQueueFullError) ctx.metrics.recordThrottled('hash_queue')
    return handleError(error, request, reply)
  })
  app.setNotFoundHandler((_request, reply) =>
    sendProblem(reply, problemFor('invalid_request', { status: 404, message: 'no such endpoint' })),
  )
  registerJsonParser(app)
  registerSecurityHeaders(app, ctx)
  registerOriginPolicy(app, { allowedOrigins: ctx.config.allowedOrigins, issuer: ctx.config.issuer })
  registerDpopTokenEndpoints(app, ctx)

  const publishOpenApi = collectOpenApi(app)
  registerDiscoveryRoutes(app, ctx)
  registerHealthRoutes(app, ctx)
  registerMetricsRoute(app, ctx)
  registerPasswordLoginRoutes(app, ctx)
  registerRefreshRoutes(app, ctx)
  registerAccountRoutes(app, ctx)
  registerOidcRoutes(app, ctx)
  registerPageRoutes(app, ctx)
  // Encapsulated plugins (own body parser, own error handler), awaited so OpenAPI sees their routes.
  await registerOAuthRoutes(app, ctx)
  await registerServiceRoutes(app, ctx)
  publishOpenApi(ctx)
  return app
}

/** JSON bodies only (SPEC §3), parsed by core's strict parser: no duplicate members, no prototype keys. */
function registerJsonParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseStrictJson(body as string))
    } catch {
      done(
        Object.assign(new Error('the body is not valid JSON'), { statusCode: 400, code: 'TESSERA_BAD_JSON' }),
      )
    }
  })
}

const FASTIFY_PROBLEMS: Readonly<Record<string, () => ReturnType<typeof problemFor>>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () =>
    problemFor('invalid_request', { status: 413, field: 'body', message: 'the body is too large' }),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    problemFor('invalid_request', {
      status: 415,
      field: 'content-type',
      message: 'the body must be application/json',
    }),
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    problemFor('invalid_request', { field: 'body', message: 'the JSON body is empty' }),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    problemFor('invalid_request', { field: 'content-length', message: 'bad content length' }),
  TESSERA_BAD_JSON: () =>
    problemFor('invalid_request', { field: 'body', message: 'the body is not valid JSON' }),
}

/**
 * Every error becomes a SPEC §4 problem. Bad input is a 4xx naming the field; a 500 only ever means a bug,
 * and its body says nothing about the cause (the log has the stack, never secrets).
 */
function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof HashQueueFullError) {
    // The hashing queue is full: shed load with a retryable 503 instead of queueing memory without bound.
    return sendProblem(
      reply,
      problemFor('rate_limited', {
        status: 503,
        retryAfterSeconds: error.retryAfterSeconds,
        message: error.message,
      }),
    )
  }
  const known = asProblem(error)
  if (known) return sendProblem(reply, known)
  if (error.validation) return sendProblem(reply, problemFromValidation(error))
  const mapped = FASTIFY_PROBLEMS[error.code]
  if (mapped) return sendProblem(reply, mapped())
  if (error instanceof TesseraError) return sendProblem(reply, problemFor(error.code))
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return sendProblem(
      reply,
      problemFor('invalid_request', { status: error.statusCode, message: 'the request is invalid' }),
    )
  }
  if (isUnavailable(error)) {
    const retryAfter = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds
    const retryAfterSeconds = typeof retryAfter === 'number' && retryAfter > 0 ? retryAfter : 5
    return sendProblem(
      reply,
      problemFor('rate_limited', { status: 503, message: 'temporarily unavailable', retryAfterSeconds }),
    )
  }
  request.log.error({ err: { type: error.name, code: error.code, stack: error.stack } }, 'unhandled error')
  reply.code(500).header('cache-control', 'no-store')
  return reply.send({ error: 'server_error', reason: 'invalid_request', message: 'internal error' })
}

/** Codes of a store that is down or saturated: a retryable 503 with Retry-After, never a 500. */
const UNAVAILABLE_CODES = new Set([
  'store_unavailable',
  'store_busy',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'ECONNREFUSED',
])

function isUnavailable(error: FastifyError): boolean {
  return UNAVAILABLE_CODES.has(String((error as { code?: unknown }).code ?? ''))
}
