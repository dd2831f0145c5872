/**
 * @tessera/guard — resource-server middleware for Tessera access tokens (SPEC §5): keys from the issuer's
 * JWKS, strict verification through @tessera/core, a verified-token cache, per-route scope / audience /
 * maxAge / path / fingerprint / max_uses rules, the revocation feed, and adapters for Express, Fastify and
 * node:http that all answer refusals the same way (RFC 6750 §3, SPEC §4 reason codes).
 */

export { type AuthContext, readAuth } from './auth-context.ts'
export type { BindingCheck, BindingRequest } from './binding-checks.ts'
export { createGuard, type Guard, type GuardHealth, type VerifyTokenOptions } from './create-guard.ts'
export type { ExpressLikeRequest, ExpressMiddleware } from './express-adapter.ts'
export type { FastifyPreHandler } from './fastify-adapter.ts'
export { GuardError, type GuardErrorOptions } from './guard-errors.ts'
export type {
  GuardClientCredentials,
  GuardOptions,
  GuardRedisOptions,
  RevocationOptions,
} from './guard-options.ts'
export type { KeySourceHealth } from './key-source.ts'
export type { AuthenticatedIncomingMessage, NodeAuthHandler, NodeRequestListener } from './node-adapter.ts'
export { bearerChallenge, dpopChallenge, type Rejection, renderRejection } from './rejection.ts'
export type { RevocationHealth } from './revocation-gate.ts'
export type { Duration, RouteOptions } from './route-policy.ts'
