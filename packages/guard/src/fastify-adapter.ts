import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import type { AuthContext } from './auth-context.ts'
import { type GuardCore, pathOf, settle } from './guard-core.ts'
import type { RouteOptions } from './route-policy.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by a Tessera guard's `preHandler` before the route handler runs. */
    auth?: AuthContext
  }
}

/** A Fastify `preHandler` hook (callback style). */
export type FastifyPreHandler = (
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
) => void

/**
 * Fastify `preHandler`: on success sets `request.auth` and continues; on a refusal it sends the answer
 * itself and the handler never runs; a fault that is not a refusal goes to Fastify's error handler. Running
 * as a preHandler (after parsing) lets it refuse a body `access_token` too.
 *
 * @example
 * fastify.get('/orders', { preHandler: guard.fastify({ scope: 'orders:read' }) }, async (request) =>
 *   listOrders(request.auth?.subject))
 */
export function createFastifyPreHandler(
  core: GuardCore,
  options: RouteOptions | undefined,
): FastifyPreHandler {
  const policy = core.policyFor(options)
  return (request, reply, done) => {
    const carrier = {
      method: request.method,
      headers: request.headers,
      rawHeaders: request.raw.rawHeaders,
      url: request.url,
      body: request.body,
      socket: request.raw.socket,
    }
    settle(
      () => core.authorizeRequest(carrier, pathOf(request.url), policy),
      (auth) => {
        request.auth = auth
        done()
      },
      (error) => {
        const rejection = core.rejectionFor(error)
        if (rejection === undefined) {
          done(error instanceof Error ? error : new Error('The Tessera guard failed'))
          return
        }
        // Fastify: a hook that answers must not call done() as well.
        reply.code(rejection.status).headers(rejection.headers).send(rejection.body)
      },
    )
  }
}
