import { isReasonCode, type ReasonCode } from './client-error.ts'
import { isResourceNonceChallenge } from './dpop-nonces.ts'
import type { DpopProver } from './dpop-prover.ts'

/**
 * 401 reasons worth one refresh and one retry:
 * - `expired`: the ordinary case;
 * - `fingerprint_mismatch`: another tab refreshed and the browser now holds its fingerprint cookie;
 * - `revoked`: the user's not-before moved (e.g. a password change); a token issued now may pass;
 * - `session_revoked`: the issuer, not a resource server, gets the last word: its refresh answer either
 *   ends the session (`session-ended`) or proves it alive.
 */
const REFRESHABLE_REASONS: ReadonlySet<ReasonCode> = new Set([
  'expired',
  'fingerprint_mismatch',
  'revoked',
  'session_revoked',
])

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** How the client decorates one attempt of a request. */
export interface AttemptOptions {
  readonly accessToken: string | undefined
  readonly isCookieMode: boolean
  /** `https://auth.example.com` (origin only). */
  readonly issuerOrigin: string
  /** A DPoP proof for this attempt and token: the token then goes as `DPoP`, not `Bearer` (RFC 9449 §7.1). */
  readonly dpopProof?: string | undefined
}

/**
 * Whether the caller set its own `Authorization`; the client then leaves the request alone.
 *
 * @example
 * if (hasOwnAuthorization(request)) return fetch(request)
 */
export function hasOwnAuthorization(request: Request): boolean {
  return request.headers.has('authorization')
}

/**
 * Builds one attempt from a template request (cloned, so its body can be sent twice): the access token
 * (as `Bearer`, or as `DPoP` beside its `DPoP` proof header), and for the issuer in cookie mode the
 * cookies (`credentials: 'include'`, for the fingerprint cookie of SPEC §3) plus `X-Tessera-CSRF: 1` on
 * writes. Other origins keep the caller's `credentials`: the client
 * never sends cookies where the caller did not ask for them.
 *
 * @example
 * const attempt = buildAttempt(template, { accessToken, isCookieMode: true, issuerOrigin })
 * const response = await fetch(attempt)
 */
export function buildAttempt(template: Request, options: AttemptOptions): Request {
  const headers = new Headers(template.headers)
  if (options.accessToken !== undefined && options.dpopProof !== undefined) {
    headers.set('authorization', `DPoP ${options.accessToken}`)
    headers.set('dpop', options.dpopProof)
  } else if (options.accessToken !== undefined) headers.set('authorization', `Bearer ${options.accessToken}`)
  const isIssuer = new URL(template.url).origin === options.issuerOrigin
  if (!(options.isCookieMode && isIssuer)) return new Request(template.clone(), { headers })
  if (!SAFE_METHODS.has(template.method)) headers.set('x-tessera-csrf', '1')
  return new Request(template.clone(), { headers, credentials: 'include' })
}

/** What {@link sendAttempt} needs beside how to decorate the attempt. */
export interface SendOptions extends Omit<AttemptOptions, 'dpopProof'> {
  readonly fetch: typeof fetch
  /** In DPoP mode: proves every attempt that carries the token. */
  readonly dpop: DpopProver | undefined
}

/**
 * Sends one attempt (see {@link buildAttempt}). In DPoP mode each attempt that carries the token gets its
 * own fresh proof, and a resource server's `use_dpop_nonce` challenge (RFC 9449 §9) is answered by exactly
 * one more attempt with the nonce it offered; a second challenge is the answer. Without a token no proof
 * is sent: a proof only means something beside the token it is bound to (§7).
 *
 * @example
 * const response = await sendAttempt(template, { accessToken, isCookieMode: false, issuerOrigin, fetch, dpop })
 */
export async function sendAttempt(template: Request, options: SendOptions): Promise<Response> {
  const { dpop, accessToken } = options
  if (dpop === undefined || accessToken === undefined) return options.fetch(buildAttempt(template, options))
  const sendProved = async (): Promise<{ response: Response; isNonceOffered: boolean }> => {
    const dpopProof = await dpop.prove({ method: template.method, url: template.url, accessToken })
    const response = await options.fetch(buildAttempt(template, { ...options, dpopProof }))
    return { response, isNonceOffered: dpop.hear(template.url, response.headers) }
  }
  const first = await sendProved()
  if (!(first.isNonceOffered && isResourceNonceChallenge(first.response))) return first.response
  // The first answer is dropped: release its body so the connection is not held until garbage collection.
  await first.response.body?.cancel().catch(() => {})
  return (await sendProved()).response
}

/**
 * The SPEC §4 reason of a 401, from `WWW-Authenticate: Bearer … error_description="…"` (RFC 6750 §3) or,
 * when the header is not exposed to script (cross-origin CORS), from a copy of the JSON body.
 *
 * @example
 * if (response.status === 401 && (await readRejectionReason(response)) === 'expired') await refresh()
 */
export async function readRejectionReason(response: Response): Promise<ReasonCode | undefined> {
  const challenge = response.headers.get('www-authenticate') ?? ''
  const described = /error_description="([a-z_]+)"/.exec(challenge)?.[1]
  if (isReasonCode(described)) return described
  if (!(response.headers.get('content-type') ?? '').includes('json')) return undefined
  try {
    const body: unknown = await response.clone().json()
    if (typeof body === 'object' && body !== null && 'reason' in body && isReasonCode(body.reason))
      return body.reason
  } catch {
    // Not JSON after all: no reason to act on.
  }
  return undefined
}

/** What {@link fetchWithOneRetry} needs from the client. */
export interface RetryHooks {
  /** Sends one attempt with this token (or none). */
  readonly send: (accessToken: string | undefined) => Promise<Response>
  readonly currentToken: () => string | undefined
  /** The client's single-flight refresh; resolves also when the session ended (the event says so). */
  readonly refresh: () => Promise<void>
}

/**
 * Sends a request and, on a 401 with a refreshable reason, refreshes once and retries exactly once. When
 * another request refreshed while this one was in flight, it retries with that token without refreshing
 * again. When no new token came (the session ended), the first 401 is the answer.
 *
 * @example
 * const response = await fetchWithOneRetry({ send, currentToken: () => token, refresh })
 */
export async function fetchWithOneRetry(hooks: RetryHooks): Promise<Response> {
  const sentToken = hooks.currentToken()
  const first = await hooks.send(sentToken)
  if (first.status !== 401 || sentToken === undefined) return first
  const reason = await readRejectionReason(first)
  if (reason === undefined || !REFRESHABLE_REASONS.has(reason)) return first
  if (hooks.currentToken() === sentToken) await hooks.refresh()
  const nextToken = hooks.currentToken()
  if (nextToken === undefined || nextToken === sentToken) return first
  // The first answer is dropped: release its body so the connection is not held until garbage collection.
  await first.body?.cancel().catch(() => {})
  return hooks.send(nextToken)
}
