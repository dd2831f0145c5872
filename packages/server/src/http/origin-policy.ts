import type { FastifyInstance, FastifyRequest } from 'fastify'
import { reject } from './problem.ts'
import { sendProblem } from './send-problem.ts'

/** Browser mode: an allowed web origin is calling; native mode: no Origin at all (SPEC §3). */
export type ClientMode = 'browser' | 'native'

declare module 'fastify' {
  interface FastifyRequest {
    clientMode: ClientMode
  }
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
export const CSRF_HEADER = 'x-tessera-csrf'
const ALLOWED_REQUEST_HEADERS = `authorization, content-type, ${CSRF_HEADER}, dpop`

/**
 * Origin, CORS and CSRF policy for every request, before any handler runs:
 * - an `Origin` outside the allow-list (including the opaque `null` origin of sandboxed frames and file:
 *   pages) may not change anything: 403 `csrf_failed`;
 * - Fetch Metadata (`Sec-Fetch-Site: cross-site` / `same-site`) without an allowed Origin is refused too,
 *   so a browser can never write cross-site even where it omits Origin;
 * - allowed origins get credentialed CORS answers, nobody else gets any CORS header.
 * Requests from the issuer's own origin (the hosted pages) count as allowed.
 *
 * @example
 * registerOriginPolicy(app, { allowedOrigins: ['https://app.example.com'], issuer: 'https://auth.example.com' })
 */
export function registerOriginPolicy(
  app: FastifyInstance,
  options: { readonly allowedOrigins: readonly string[]; readonly issuer: string },
): void {
  const allowed = new Set([...options.allowedOrigins, new URL(options.issuer).origin])
  app.decorateRequest('clientMode', 'native')

  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin
    const isAllowedOrigin = typeof origin === 'string' && allowed.has(origin)
    request.clientMode = isAllowedOrigin ? 'browser' : 'native'
    if (isAllowedOrigin) {
      reply.header('access-control-allow-origin', origin)
      reply.header('access-control-allow-credentials', 'true')
      reply.header('vary', 'Origin')
      if (request.method === 'OPTIONS') {
        reply.header('access-control-allow-methods', 'GET, POST, DELETE')
        reply.header('access-control-allow-headers', ALLOWED_REQUEST_HEADERS)
        reply.header('access-control-max-age', '600')
        return reply.code(204).send()
      }
    }
    if (!UNSAFE_METHODS.has(request.method)) return undefined
    const fetchSite = request.headers['sec-fetch-site']
    const isCrossSiteFetch = fetchSite === 'cross-site' || fetchSite === 'same-site'
    if ((origin !== undefined && !isAllowedOrigin) || (isCrossSiteFetch && !isAllowedOrigin)) {
      return sendProblem(
        reply,
        reject('csrf_failed', { message: 'this origin may not call the auth server' }).problem,
      )
    }
    return undefined
  })
}

/**
 * A write authenticated by the refresh cookie needs both an allowed Origin and `X-Tessera-CSRF: 1`. A
 * cross-site form cannot set a custom header, and a cross-origin fetch that does triggers a preflight that
 * only allowed origins pass (OWASP CSRF cheat sheet, "custom request headers").
 *
 * @example
 * if (tokenSource === 'cookie') assertCookieWriteAllowed(request)
 */
export function assertCookieWriteAllowed(request: FastifyRequest): void {
  if (request.clientMode !== 'browser' || request.headers[CSRF_HEADER] !== '1') {
    throw reject('csrf_failed', {
      message: `cookie-authenticated requests need an allowed Origin and ${CSRF_HEADER}: 1`,
    })
  }
}
