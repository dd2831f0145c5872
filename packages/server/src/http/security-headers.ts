import type { FastifyInstance } from 'fastify'
import type { AppContext } from './app-context.ts'

/**
 * Headers on every response. The API serves JSON only, so the CSP forbids everything and framing is denied
 * (clickjacking); responses are not cached unless a route opts in (JWKS, metadata); HSTS when the issuer is
 * https, so a downgrade cannot strip the Secure cookies' transport.
 *
 * @example
 * registerSecurityHeaders(app, ctx)
 */
export function registerSecurityHeaders(app: FastifyInstance, ctx: AppContext): void {
  const isHttps = ctx.config.issuer.startsWith('https://')
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff')
    reply.header('referrer-policy', 'no-referrer')
    reply.header('x-frame-options', 'DENY')
    reply.header('cross-origin-opener-policy', 'same-origin')
    if (!reply.hasHeader('content-security-policy')) {
      reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'")
    }
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store')
    if (isHttps) reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains')
    return payload
  })
}
