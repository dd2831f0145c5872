/**
 * Example: a Fastify API protected by the Tessera guard, the same routes as express-api.ts.
 *
 * Run alone: ISSUER=http://127.0.0.1:8080 GUARD_CLIENT_ID=… GUARD_CLIENT_SECRET=… node --import tsx examples/fastify-api.ts
 */
import { createGuard, readAuth } from '@tessera/guard'
import Fastify from 'fastify'
import type { ExampleApi, ExampleApiOptions } from './express-api.ts'

/**
 * Starts the Fastify example on 127.0.0.1.
 *
 * @example
 * const api = await startFastifyExample({ issuer, client, webOrigin: 'http://127.0.0.1:8082' })
 */
export async function startFastifyExample(options: ExampleApiOptions): Promise<ExampleApi> {
  const guard = createGuard({
    issuer: options.issuer,
    audience: 'orders-api',
    ...(options.client === undefined ? {} : { client: options.client }),
  })
  const app = Fastify()
  app.addHook('onRequest', async (request, reply) => {
    if (request.headers.origin !== options.webOrigin) return
    reply.header('access-control-allow-origin', options.webOrigin)
    reply.header('access-control-allow-credentials', 'true')
    reply.header('access-control-allow-headers', 'authorization')
    reply.header('access-control-expose-headers', 'www-authenticate')
    reply.header('vary', 'Origin')
    if (request.method === 'OPTIONS') await reply.code(204).send()
  })
  app.options('/orders', async (_request, reply) => reply.code(204).send())
  app.get('/orders', { preHandler: guard.fastify({ scope: 'orders:read' }) }, async (request) => ({
    orders: [{ id: 'ord_1', item: 'tessera tiles', for: readAuth(request).subject }],
  }))
  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    guard,
    close: async () => {
      await guard.close()
      await app.close()
    },
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { ISSUER, GUARD_CLIENT_ID, GUARD_CLIENT_SECRET, WEB_ORIGIN, PORT } = process.env
  const api = await startFastifyExample({
    issuer: ISSUER ?? 'http://127.0.0.1:8080',
    webOrigin: WEB_ORIGIN ?? 'http://127.0.0.1:8082',
    port: Number(PORT ?? 8081),
    ...(GUARD_CLIENT_ID === undefined
      ? {}
      : { client: { id: GUARD_CLIENT_ID, secret: GUARD_CLIENT_SECRET ?? '' } }),
  })
  console.log(`Fastify example API on ${api.url}/orders`)
}
