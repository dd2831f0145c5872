import type { FastifyInstance } from 'fastify'
import type { AppContext } from '../app-context.ts'

/**
 * Liveness (the process answers) and readiness (the store answers). Neither reveals versions or errors.
 *
 * @example
 * registerHealthRoutes(app, ctx)
 */
export function registerHealthRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_request, reply) => {
    try {
      await ctx.store.ping()
      return { status: 'ready', store: ctx.store.kind }
    } catch {
      return reply.code(503).header('retry-after', '5').send({ status: 'unavailable', store: ctx.store.kind })
    }
  })
}
