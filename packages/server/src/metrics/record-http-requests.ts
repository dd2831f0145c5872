import type { FastifyInstance } from 'fastify'
import type { TesseraMetrics } from './tessera-metrics.ts'

/**
 * Counts every answered request and its latency. Registered on the root instance before any route, so the
 * encapsulated OAuth and service plugins inherit the hook. The route label is Fastify's route template
 * (`/v1/sessions/:id`): the raw URL would carry session ids and query strings into the scrape and let any
 * client mint new series; a request that matched no route is `unmatched`.
 *
 * @example
 * recordHttpRequests(app, ctx.metrics)
 */
export function recordHttpRequests(app: FastifyInstance, metrics: TesseraMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const isMatched = request.is404 !== true
    metrics.recordHttpRequest({
      method: request.method,
      route: isMatched ? request.routeOptions.url : undefined,
      statusCode: reply.statusCode,
      durationMs: reply.elapsedTime,
    })
  })
}
