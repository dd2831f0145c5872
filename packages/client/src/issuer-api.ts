import { isReasonCode, TesseraClientError } from './client-error.ts'
import { isIssuerNonceChallenge } from './dpop-nonces.ts'
import type { DpopProver } from './dpop-prover.ts'
import { platformTimers } from './timers.ts'
import { parseTokenResponse, type TokenResponse } from './token-response.ts'

/** What came back from the issuer: the status and the parsed JSON body (`undefined` when not JSON). */
export interface IssuerAnswer {
  readonly status: number
  readonly body: unknown
}

/** Calls the auth server's JSON API (login, signup, refresh, logout). */
export interface IssuerApi {
  /** Whether every request carries a DPoP proof: token answers must then be DPoP-bound. */
  readonly usesDpop: boolean
  /** `accessToken` goes in `Authorization` (as `DPoP` beside a proof with its `ath`, else as `Bearer`). */
  post(
    path: string,
    body: Record<string, unknown>,
    options?: { readonly accessToken?: string },
  ): Promise<IssuerAnswer>
}

export interface IssuerApiOptions {
  /** The issuer without a trailing slash. */
  readonly issuer: string
  readonly mode: 'cookie' | 'token'
  readonly fetch: typeof fetch
  /** Aborts every request in flight (the client's `close()`). */
  readonly signal: AbortSignal
  readonly timeoutMs: number
  /** Token mode with `dpop`: proves possession of the client's key on every request (RFC 9449 §5). */
  readonly dpop?: DpopProver | undefined
}

/**
 * Creates the issuer caller. Cookie mode sends `credentials: 'include'` (the refresh cookie is the
 * credential and the browser must store the new one from a cross-origin answer) and `X-Tessera-CSRF: 1`,
 * which a cross-site form cannot send (SPEC §3). Token mode sends no cookies at all: its credential is in
 * the body. With DPoP, each request carries a fresh proof, and a `use_dpop_nonce` refusal is retried
 * exactly once with the nonce it came with (RFC 9449 §8); a second one is the answer.
 *
 * @example
 * const api = createIssuerApi({ issuer, mode: 'token', fetch, signal, timeoutMs: 10_000 })
 * const answer = await api.post('/v1/login', { email, password })
 */
export function createIssuerApi(options: IssuerApiOptions): IssuerApi {
  return {
    usesDpop: options.dpop !== undefined,
    async post(path, body, postOptions = {}) {
      const url = `${options.issuer}${path}`
      const first = await postOnce(options, url, body, postOptions.accessToken)
      if (!(first.isNonceOffered && isIssuerNonceChallenge(first.answer))) return first.answer
      return (await postOnce(options, url, body, postOptions.accessToken)).answer
    },
  }
}

async function postOnce(
  options: IssuerApiOptions,
  url: string,
  body: Record<string, unknown>,
  accessToken: string | undefined,
): Promise<{ readonly answer: IssuerAnswer; readonly isNonceOffered: boolean }> {
  const { dpop } = options
  const headers: Record<string, string> = {
    accept: 'application/json',
    'content-type': 'application/json',
  }
  if (options.mode === 'cookie') headers['x-tessera-csrf'] = '1'
  // Made before the request is under way: a key the runtime cannot make is a TypeError, not `network`.
  if (dpop !== undefined) headers.dpop = await dpop.prove({ method: 'POST', url, accessToken })
  if (options.signal.aborted) throw new TesseraClientError('closed')
  // RFC 9449 §7.1: a bound access token travels under the DPoP scheme, beside a proof carrying its hash.
  if (accessToken !== undefined) headers.authorization = `${dpop ? 'DPoP' : 'Bearer'} ${accessToken}`
  const controller = new AbortController()
  const abort = (): void => controller.abort()
  options.signal.addEventListener('abort', abort, { once: true })
  const timer = platformTimers.setTimeout(abort, options.timeoutMs)
  try {
    const response = await options.fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      credentials: options.mode === 'cookie' ? 'include' : 'omit',
      signal: controller.signal,
    })
    const isNonceOffered = dpop?.hear(url, response.headers) ?? false
    const text = await response.text()
    return { answer: { status: response.status, body: parseJson(text) }, isNonceOffered }
  } catch (error) {
    if (options.signal.aborted) throw new TesseraClientError('closed')
    // Connection refused, DNS, CORS refusal, timeout: nothing was learnt about the session.
    throw new TesseraClientError('network', { retryable: true, cause: error })
  } finally {
    platformTimers.clearTimeout(timer)
    options.signal.removeEventListener('abort', abort)
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

/**
 * Turns a refusal into the client's error. 5xx, 408 and 429 are retryable and end nothing; a 5xx without a
 * reason (a proxy's error page) counts as `network`.
 *
 * @example
 * if (answer.status !== 200) throw failureOf(answer)
 */
export function failureOf(answer: IssuerAnswer): TesseraClientError {
  const fields = typeof answer.body === 'object' && answer.body !== null ? answer.body : {}
  const reason = 'reason' in fields && isReasonCode(fields.reason) ? fields.reason : undefined
  const retryable = answer.status >= 500 || answer.status === 408 || answer.status === 429
  if (retryable) return new TesseraClientError(reason ?? 'network', { status: answer.status, retryable })
  return new TesseraClientError(reason ?? 'invalid_request', { status: answer.status })
}

function isFieldRefusal(answer: IssuerAnswer, field: string): boolean {
  const fields = typeof answer.body === 'object' && answer.body !== null ? answer.body : {}
  return answer.status === 400 && 'field' in fields && fields.field === field
}

/**
 * Posts to an endpoint that answers with a token response (login, signup, refresh) and parses it, or
 * rejects with the refusal. In cookie mode a refresh refused for a missing `refresh_token` means no cookie
 * reached the server (dropped at its Max-Age, cleared, or never set): that is `missing_token`.
 *
 * @example
 * const tokens = await requestTokens(api, '/v1/login', { email, password }, { okStatus: 200 })
 */
export async function requestTokens(
  api: IssuerApi,
  path: string,
  body: Record<string, unknown>,
  options: { readonly okStatus: number; readonly isCookieRefresh?: boolean },
): Promise<TokenResponse> {
  const answer = await api.post(path, body)
  if (answer.status !== options.okStatus) {
    if (options.isCookieRefresh && isFieldRefusal(answer, 'refresh_token'))
      throw new TesseraClientError('missing_token', { status: answer.status })
    throw failureOf(answer)
  }
  const parsed = parseTokenResponse(answer.body)
  // A success status without a token response: a proxy or a misrouted URL, not an answer about the session.
  if (!parsed) throw new TesseraClientError('network', { status: answer.status, retryable: true })
  // RFC 9449 §5: a proof went out, so a Bearer token back means the binding was dropped on the way or never
  // made; keeping it would quietly give up what DPoP was asked for.
  if (api.usesDpop && parsed.tokenType !== 'DPoP')
    throw new TesseraClientError('dpop_downgraded', { status: answer.status })
  // Without a key a DPoP-bound token cannot be used (as before DPoP: not a token response for this client).
  if (!api.usesDpop && parsed.tokenType !== 'Bearer')
    throw new TesseraClientError('network', { status: answer.status, retryable: true })
  return parsed
}

/**
 * `POST /v1/logout` with exactly one credential (SPEC §5): the cookie (cookie mode), the refresh token in
 * the body, or else the access token. A 4xx means no live session stood behind the credential, which is
 * signed out all the same; a 5xx or no answer rejects (retryable).
 *
 * @example
 * await requestLogout(api, { refreshToken, accessToken: undefined })
 */
export async function requestLogout(
  api: IssuerApi,
  credentials: { readonly refreshToken: string | undefined; readonly accessToken: string | undefined },
): Promise<void> {
  const { refreshToken, accessToken } = credentials
  const body = refreshToken === undefined ? {} : { refresh_token: refreshToken }
  const sentToken = refreshToken === undefined ? accessToken : undefined
  const answer = await api.post('/v1/logout', body, sentToken === undefined ? {} : { accessToken: sentToken })
  if (answer.status >= 500) throw failureOf(answer)
}
