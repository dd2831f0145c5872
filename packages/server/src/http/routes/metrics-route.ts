import type { FastifyInstance } from 'fastify'
import { EXPOSITION_CONTENT_TYPE } from '../../metrics/exposition-format.ts'
import type { AppContext } from '../app-context.ts'

/**
 * GET /metrics: Prometheus text format 0.0.4. No authentication: it carries counts and route templates,
 * never a token, an email or a URL, but it does tell an attacker how busy login is, so deployments expose
 * it only on an internal network or scrape port (docs/http-api.md).
 *
 * @example
 * registerMetricsRoute(app, ctx)
 */
export function registerMetricsRoute(app: FastifyInstance, ctx: AppContext): void {
  app.get('/metrics', async (_request, reply) =>
    reply.header('cache-control', 'no-store').type(EXPOSITION_CONTENT_TYPE).send(ctx.metrics.render()),
  )
}
