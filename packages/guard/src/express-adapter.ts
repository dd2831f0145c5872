import type { IncomingMessage, ServerResponse } from 'node:http'
import { type GuardCore, pathOf, settle } from './guard-core.ts'
import { writeRejection } from './node-adapter.ts'
import type { RouteOptions } from './route-policy.ts'

/**
 * The parts of an Express request the guard uses. Express's own `Request` fits, so the middleware needs no
 * type from express and works with Express 4 and 5.
 */
export interface ExpressLikeRequest extends IncomingMessage {
  /** Set by the guard before `next()`; read it typed with `readAuth(req)`. */
  // `unknown`, not AuthContext: other middleware (express-oauth2-jwt-bearer) declares `auth` on Express's
  // Request with its own type; readAuth() checks the guard's marker before trusting the value.
  auth?: unknown
  /** A body parsed by an earlier middleware, checked for a forbidden `access_token` member. */
  readonly body?: unknown
  /** The full request target; `url` is relative to the router's mount point. */
  readonly originalUrl?: string
}

/** An Express middleware (`RequestHandler`-compatible). */
export type ExpressMiddleware = (
  request: ExpressLikeRequest,
  response: ServerResponse,
  next: (error?: unknown) => void,
) => void

/**
 * Express middleware: on success sets `req.auth` and calls `next()`; on a refusal it answers itself
 * (status, `WWW-Authenticate`, JSON body) and the route handler never runs. Only a fault that is not a
 * refusal goes to `next(error)`, to the app's error handler. Mount body parsers before it if a body
 * `access_token` should be caught; the `path` binding compares `originalUrl`.
 *
 * @example
 * app.get('/orders', guard.express({ scope: 'orders:read', maxAge: '5m' }), (req, res) => {
 *   res.json(listOrders(readAuth(req).subject))
 * })
 */
export function createExpressMiddleware(
  core: GuardCore,
  options: RouteOptions | undefined,
): ExpressMiddleware {
  const policy = core.policyFor(options)
  return (request, response, next) => {
    settle(
      () => core.authorizeRequest(request, pathOf(request.originalUrl ?? request.url), policy),
      (auth) => {
        request.auth = auth
        next()
      },
      (error) => {
        const rejection = core.rejectionFor(error)
        if (rejection === undefined) next(error)
        else writeRejection(response, rejection)
      },
    )
  }
}
