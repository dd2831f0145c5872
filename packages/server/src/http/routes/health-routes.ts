import type { FastifyInstance } from 'fastify'
import type { AppContext } from '../app-context.ts'

/**
 * Liveness (the process answers) and readiness: the database answers (else 503 with `Retry-After`), and, in
 * a scale-out deployment, whether Redis does. Redis down is `degraded` with 200, not 503: logins and refreshes
 * still work on it (throttling per instance, revocations queued), and a 503 from every instance at once
 * would have the load balancer take the whole service out over a dependency it can do without.
 * Neither route reveals versions or errors.
 *
 * @example
 * registerHealthRoutes(app, ctx)
 */
export function registerHealthRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_request, reply) => {
    const [database, redis] = await Promise.all([
      answers(() => ctx.store.ping()),
      ctx.hotState === undefined ? undefined : answers(() => ctx.hotState?.ping() ?? Promise.resolve()),
    ])
    const body = {
      status: !database ? 'unavailable' : redis === false ? 'degraded' : 'ready',
      store: ctx.store.kind,
      database: database ? 'ok' : 'unavailable',
      ...(redis === undefined ? {} : { redis: redis ? 'ok' : 'unavailable' }),
    }
    if (!database) return reply.code(503).header('retry-after', '5').send(body)
    return body
  })
}

async function answers(ping: () => Promise<void>): Promise<boolean> {
  try {
    await ping()
    return true
  } catch {
    return false
  }
}
