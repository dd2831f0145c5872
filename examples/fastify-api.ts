/**
 * Example: a Fastify API protected by the Tessera guard, the same routes as express-api.ts.
 *
 * Run alone: ISSUER=http://127.0.0.1:8080 GUARD_CLIENT_ID=… GUARD_CLIENT_SECRET=… node --import tsx examples/fastify-api.ts
 */
import { createGuard, readAuth } from '@tessera/guard'
import Fastify from 'fastify'
import { exampleCorsHeaders, exampleOptionsFromEnv } from './example-options.ts'
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
    const cors = exampleCorsHeaders(request.headers.origin, options.webOrigin)
    if (Object.keys(cors).length === 0) return
    reply.headers(cors)
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
  const api = await startFastifyExample(exampleOptionsFromEnv(process.env))
  console.log(`Fastify example API on ${api.url}/orders`)
}
