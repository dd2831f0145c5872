import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type Guard, readAuth } from '@tessera/guard'
import express from 'express'
import Fastify from 'fastify'
import { ORDERS_SCOPE } from './attack-rig.ts'

/**
 * One API behind the guard, served by one of the three adapters on loopback: `GET /orders` and
 * `POST /orders` demand `orders:read`; the handler answers the subject, so a 200 proves the guard let the
 * request through.
 */
export interface GuardedApp {
  readonly adapter: 'express' | 'fastify' | 'node'
  readonly url: string
  /** The framework parses a JSON body before the guard runs (so a body `access_token` can be refused). */
  readonly parsesJsonBody: boolean
  close(): Promise<void>
}

/**
 * Starts the same API behind `guard` with each adapter. Fastify logs at `info` into `fastifyLog`, the way
 * an application would keep request logs.
 *
 * @example
 * const apps = await startGuardedApps(rig.guard, logStream)
 */
export async function startGuardedApps(
  guard: Guard,
  fastifyLog: NodeJS.WritableStream,
): Promise<readonly GuardedApp[]> {
  return Promise.all([startExpress(guard), startFastify(guard, fastifyLog), startNode(guard)])
}

async function startExpress(guard: Guard): Promise<GuardedApp> {
  const app = express()
  app.use(express.json())
  const guarded = guard.express({ scope: ORDERS_SCOPE })
  const handler = (request: express.Request, response: express.Response): void => {
    response.json({ subject: readAuth(request).subject })
  }
  app.get('/orders', guarded, handler)
  app.post('/orders', guarded, handler)
  const server = app.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    adapter: 'express',
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    parsesJsonBody: true,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

async function startFastify(guard: Guard, log: NodeJS.WritableStream): Promise<GuardedApp> {
  const app = Fastify({ logger: { level: 'info', stream: log } })
  const preHandler = guard.fastify({ scope: ORDERS_SCOPE })
  for (const method of ['GET', 'POST'] as const) {
    app.route({
      method,
      url: '/orders',
      preHandler,
      handler: async (request) => ({ subject: request.auth?.subject }),
    })
  }
  await app.listen({ port: 0, host: '127.0.0.1' })
  return {
    adapter: 'fastify',
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    parsesJsonBody: true,
    close: () => app.close(),
  }
}

async function startNode(guard: Guard): Promise<GuardedApp> {
  const server = createServer(
    guard.node((request, response) => response.end(JSON.stringify({ subject: request.auth.subject })), {
      scope: ORDERS_SCOPE,
    }),
  )
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    adapter: 'node',
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    parsesJsonBody: false,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
