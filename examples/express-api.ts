/**
 * Example: an Express API protected by the Tessera guard. `GET /orders` needs an access token with scope
 * `orders:read`; the guard verifies it in memory and hears of revoked sessions through the auth server's
 * feed (with `client`) or Redis (with `redis`). CORS lets the example web page call it with its token.
 *
 * Run alone: ISSUER=http://127.0.0.1:8080 GUARD_CLIENT_ID=… GUARD_CLIENT_SECRET=… WEB_ORIGIN=http://127.0.0.1:8082 \
 *   node --import tsx examples/express-api.ts
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createGuard, type Guard, type GuardOptions, readAuth } from '@tessera/guard'
import express from 'express'
import { exampleCorsHeaders, exampleOptionsFromEnv } from './example-options.ts'

export interface ExampleApiOptions {
  readonly issuer: string
  readonly client?: GuardOptions['client']
  /** The web page's origin, allowed by CORS. */
  readonly webOrigin: string
  readonly port?: number
}

export interface ExampleApi {
  readonly url: string
  readonly guard: Guard
  close(): Promise<void>
}

/**
 * Starts the Express example on 127.0.0.1.
 *
 * @example
 * const api = await startExpressExample({ issuer, client, webOrigin: 'http://127.0.0.1:8082' })
 */
export async function startExpressExample(options: ExampleApiOptions): Promise<ExampleApi> {
  const guard = createGuard({
    issuer: options.issuer,
    audience: 'orders-api',
    ...(options.client === undefined ? {} : { client: options.client }),
  })
  const app = express()
  app.disable('x-powered-by')
  app.use((request, response, next) => {
    // CORS for the example page only; credentials so the browser sends the fingerprint cookie with the token.
    for (const [name, value] of Object.entries(
      exampleCorsHeaders(request.headers.origin, options.webOrigin),
    )) {
      response.setHeader(name, value)
    }
    if (request.method === 'OPTIONS') {
      response.status(204).end()
      return
    }
    next()
  })
  app.get('/orders', guard.express({ scope: 'orders:read' }), (request, response) => {
    const auth = readAuth(request)
    response.json({ orders: [{ id: 'ord_1', item: 'tessera tiles', for: auth.subject }] })
  })
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(options.port ?? 0, '127.0.0.1', () => resolve(listening))
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    guard,
    close: async () => {
      await guard.close()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const api = await startExpressExample(exampleOptionsFromEnv(process.env))
  console.log(`Express example API on ${api.url}/orders`)
}
