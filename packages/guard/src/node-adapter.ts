import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AuthContext } from './auth-context.ts'
import { type GuardCore, pathOf, settle } from './guard-core.ts'
import type { Rejection } from './rejection.ts'
import type { RouteOptions } from './route-policy.ts'

/** A request the guard let through: `auth` is set. */
export type AuthenticatedIncomingMessage = IncomingMessage & { auth: AuthContext }

/** A plain node:http handler behind the guard. */
export type NodeAuthHandler = (request: AuthenticatedIncomingMessage, response: ServerResponse) => unknown

/** What `http.createServer` accepts. */
export type NodeRequestListener = (request: IncomingMessage, response: ServerResponse) => void

/**
 * Writes a refusal to a node response (also Express's, which extends it): status, headers, JSON body.
 *
 * @example
 * writeRejection(response, guard.rejection(error))
 */
export function writeRejection(response: ServerResponse, rejection: Rejection): void {
  if (response.headersSent) {
    response.destroy()
    return
  }
  response.writeHead(rejection.status, rejection.headers)
  response.end(JSON.stringify(rejection.body))
}

/**
 * Wraps a node:http handler: the guard decides first, sets `request.auth`, and only then calls the handler;
 * a refusal is answered here and the handler never runs. A handler that throws or rejects (or a fault in the
 * guard itself) gets a bare 500 — nothing of the error is sent — unless the answer had already started.
 *
 * @example
 * http.createServer(guard.node((req, res) => res.end(req.auth.subject), { scope: 'orders:read' }))
 */
export function createNodeListener(
  core: GuardCore,
  handler: NodeAuthHandler,
  options: RouteOptions | undefined,
): NodeRequestListener {
  const policy = core.policyFor(options)
  return (request, response) => {
    settle(
      () => core.authorizeRequest(request, pathOf(request.url), policy),
      (auth) => {
        const authenticated = Object.assign(request, { auth })
        let result: unknown
        try {
          result = handler(authenticated, response)
        } catch {
          failHandler(response)
          return
        }
        if (result instanceof Promise) result.catch(() => failHandler(response))
      },
      (error) => {
        const rejection = core.rejectionFor(error)
        if (rejection === undefined) failHandler(response)
        else writeRejection(response, rejection)
      },
    )
  }
}

function failHandler(response: ServerResponse): void {
  if (response.headersSent) {
    response.destroy()
    return
  }
  response.writeHead(500, { 'content-type': 'application/json; charset=utf-8' })
  response.end(JSON.stringify({ error: 'server_error', message: 'The request could not be processed' }))
}
