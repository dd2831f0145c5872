/**
 * DPoP proofs sent to the auth server itself (RFC 9449): at the token endpoints (`/v1/login`,
 * `/v1/signup`, `/v1/refresh`, `/oauth/token`), where a valid proof binds the new session and tokens to its
 * key, and with DPoP-bound access tokens at the server's own user endpoints (`/v1/me`, `/v1/logout`, …),
 * where the proof must be by the token's key and carry its hash (`ath`).
 *
 * The URL a proof must name (`htu`) is the issuer plus the request path: the issuer is the public base of
 * every endpoint (SPEC §1), so no `Host` or forwarding header decides what a proof is checked against.
 */
import { type DpopProofResult, isDpopNonceFresh, issueDpopNonce, verifyDpopProof } from '@tessera/core'
import { type ReplayCache, ReplayCacheFullError } from '@tessera/redis'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { AppContext } from './app-context.ts'
import { type Problem, ProblemError } from './problem.ts'
import { DPOP_ALGORITHMS } from './send-problem.ts'
import { oauthProblem } from './service-problem.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** The thumbprint of the key whose valid DPoP proof came with this token-endpoint request. */
    dpopJkt: string | undefined
  }
}

/** The endpoints that issue tokens, where a proof binds the new session or token to its key (RFC 9449 §5). */
const TOKEN_ENDPOINTS: ReadonlySet<string> = new Set([
  '/v1/login',
  '/v1/signup',
  '/v1/refresh',
  '/oauth/token',
])

/** What the auth server needs for DPoP: the shared replay register and the nonce key. */
export interface DpopServerState {
  /** `jkt:jti` pairs seen within a proof's lifetime (RFC 9449 §11.1): Redis when configured, else memory. */
  readonly replays: ReplayCache
  /** HMAC key of the stateless nonces (RFC 9449 §8), derived from the server secret. */
  readonly nonceKey: Buffer
}

/** Where a proof is checked: a token endpoint (400 errors, §5) or a user endpoint with a bound token (401, §7). */
type ProofSite =
  | { readonly kind: 'token_endpoint' }
  | { readonly kind: 'resource'; readonly accessToken: string; readonly jkt: string }

/**
 * The `DPoP` header lines of a request, each as sent. Node joins repeated unknown headers with a comma in
 * `headers`, which would turn two proofs into one garbled value; `headersDistinct` keeps them apart.
 */
function proofLines(request: FastifyRequest): readonly string[] {
  const distinct = request.raw.headersDistinct?.dpop
  if (distinct !== undefined) return distinct
  const joined = request.headers.dpop
  return joined === undefined ? [] : [joined].flat()
}

function requestUrl(request: FastifyRequest, ctx: AppContext): string {
  const query = request.url.indexOf('?')
  return `${ctx.config.issuer}${query < 0 ? request.url : request.url.slice(0, query)}`
}

function proofProblem(site: ProofSite, message: string, error = 'invalid_dpop_proof'): ProblemError {
  const problem: Problem =
    site.kind === 'token_endpoint'
      ? oauthProblem('dpop_invalid', error, { message })
      : { ...oauthProblem('dpop_invalid', error, { status: 401, message }), challengeScheme: 'DPoP' }
  return new ProblemError(problem)
}

async function checkProof(
  request: FastifyRequest,
  ctx: AppContext,
  site: ProofSite,
  reply?: FastifyReply,
): Promise<string> {
  const lines = proofLines(request)
  const [proof] = lines
  if (proof === undefined) throw proofProblem(site, 'a DPoP proof header is required')
  // RFC 9449 §4.3 check 1: exactly one DPoP header.
  if (lines.length > 1) throw proofProblem(site, 'exactly one DPoP header is allowed')
  const now = ctx.clock.nowSeconds()
  const { dpop: settings, accessToken } = ctx.config
  const nonceKey = ctx.dpop.nonceKey
  const requiresNonce = settings.requireNonce && site.kind === 'token_endpoint'
  // §8.2: a fresh nonce on every answer of an endpoint that requires one, so clients never run stale.
  if (requiresNonce) reply?.header('dpop-nonce', issueDpopNonce(nonceKey, now))
  const result: DpopProofResult = verifyDpopProof(proof, {
    method: request.method,
    url: requestUrl(request, ctx),
    nowSeconds: now,
    maxAgeSeconds: settings.proofMaxAgeSeconds,
    leewaySeconds: accessToken.leewaySeconds,
    algorithms: DPOP_ALGORITHMS,
    ...(requiresNonce ? { nonce: (nonce: string) => isDpopNonceFresh(nonce, nonceKey, now) } : {}),
    ...(site.kind === 'resource' ? { accessToken: site.accessToken, expectedJkt: site.jkt } : {}),
  })
  if (!result.ok) {
    // §8: a missing or stale nonce is `use_dpop_nonce`; the client retries with the header's nonce.
    if (result.check === 'nonce') throw proofProblem(site, 'a fresh DPoP nonce is required', 'use_dpop_nonce')
    // `detail` is core's fixed text naming the rule, never a value taken from the request.
    throw proofProblem(site, `the DPoP proof is invalid: ${result.detail}`)
  }
  // §11.1: one use per proof. Keyed on the key as well, since `jti` is unique only per client key; kept
  // until the proof would be refused as too old anyway.
  const expiresAt = Math.ceil(result.iat) + settings.proofMaxAgeSeconds + 2 * accessToken.leewaySeconds
  const isNew = await ctx.dpop.replays.remember(`${result.jkt}:${result.jti}`, expiresAt).catch((error) => {
    // A full in-process register is a flood of live proofs: refuse this one rather than forget another.
    if (error instanceof ReplayCacheFullError) throw proofProblem(site, 'too many DPoP proofs in flight')
    throw error
  })
  if (!isNew) throw proofProblem(site, 'this DPoP proof was already used')
  return result.jkt
}

/**
 * Verifies the DPoP proof of a token-endpoint request (RFC 9449 §4.3, §5) and resolves the thumbprint of
 * its key, to bind the session and tokens to; resolves undefined when the request has no `DPoP` header.
 * A bad proof is 400 `invalid_dpop_proof` (reason `dpop_invalid`), a missing or stale nonce when nonces are
 * required 400 `use_dpop_nonce` with a fresh `DPoP-Nonce` header, a replayed proof `invalid_dpop_proof`.
 *
 * @example
 * const dpopJkt = await checkTokenEndpointProof(request, reply, ctx)
 */
export async function checkTokenEndpointProof(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: AppContext,
): Promise<string | undefined> {
  if (proofLines(request).length === 0) return undefined
  return await checkProof(request, ctx, { kind: 'token_endpoint' }, reply)
}

/**
 * Verifies the proof that must come with a DPoP-bound access token at one of the server's own endpoints
 * (RFC 9449 §7): by the token's key (`cnf.jkt`), for this method and URL, with `ath` = the token's hash,
 * used once. Refusals are 401 `invalid_dpop_proof` with a `DPoP` challenge.
 *
 * @example
 * if (claims.cnf?.jkt) await checkBoundTokenProof(request, ctx, token, claims.cnf.jkt)
 */
export async function checkBoundTokenProof(
  request: FastifyRequest,
  ctx: AppContext,
  accessToken: string,
  jkt: string,
): Promise<void> {
  await checkProof(request, ctx, { kind: 'resource', accessToken, jkt })
}

/**
 * Checks the DPoP proof of every token-endpoint request before its handler runs (after body validation, so
 * a malformed body is still a 400 naming the field) and leaves the key's thumbprint on `request.dpopJkt`
 * for the client context. Register before the routes, so encapsulated ones (`/oauth/*`) inherit the hook.
 *
 * @example
 * registerDpopTokenEndpoints(app, ctx)
 */
export function registerDpopTokenEndpoints(app: FastifyInstance, ctx: AppContext): void {
  app.decorateRequest('dpopJkt', undefined)
  app.addHook('preHandler', async (request, reply) => {
    if (!TOKEN_ENDPOINTS.has(request.routeOptions.url ?? '')) return
    request.dpopJkt = await checkTokenEndpointProof(request, reply, ctx)
  })
}
